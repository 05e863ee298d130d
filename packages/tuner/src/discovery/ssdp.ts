// The SSDP responder (UDP 1900, group 239.255.255.250): M-SEARCH answered to the asker only.

import type { RemoteInfo, Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { deviceUuid } from '../lineup.js';
import { localAddressFor } from './local-address.js';
import { type ResponderOptions, UdpBinding } from './responder.js';

export const SSDP_GROUP = '239.255.255.250';
export const SSDP_PORT = 1900;

const DEVICE_TYPE = 'urn:schemas-upnp-org:device:MediaServer:1';

/**
 * Answers M-SEARCH for everything, root devices, media servers or our UUID, with a unicast
 * reply whose LOCATION is our device.xml. Sends no NOTIFY: nothing goes anywhere but back to
 * an asker.
 */
export class SsdpResponder extends UdpBinding {
  constructor(options: ResponderOptions) {
    super('SSDP', options, (socket) => joinGroup(socket, options.address), true);
  }

  protected async answer(message: Buffer, from: RemoteInfo, socket: Socket): Promise<void> {
    const [start, ...lines] = message.toString('latin1').split(/\r?\n/);
    if (!/^M-SEARCH \* HTTP\/1\.1$/i.test(start?.trim() ?? '')) return;
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get('man')?.replace(/"/g, '') !== 'ssdp:discover') return;
    const local = localAddressFor(from.address, this.options.address);
    if (!local) return;
    const { device, baseUrl } = await this.options.announce(local);
    const uuid = `uuid:${deviceUuid(device.deviceId)}`;
    const asked = headers.get('st') ?? '';
    const st = asked === 'ssdp:all' ? 'upnp:rootdevice' : asked;
    if (!['upnp:rootdevice', DEVICE_TYPE, uuid].includes(st)) return;
    const reply = [
      'HTTP/1.1 200 OK',
      'CACHE-CONTROL: max-age=1800',
      'EXT:',
      `LOCATION: ${baseUrl}/device.xml`,
      'SERVER: Linux/1.0 UPnP/1.0 acestream-proxy/1.0',
      `ST: ${st}`,
      `USN: ${st === uuid ? uuid : `${uuid}::${st}`}`,
      '',
      '',
    ].join('\r\n');
    socket.send(reply, from.port, from.address);
  }
}

/** Joins the group on every IPv4 interface when bound to all of them (one address: unicast only). */
function joinGroup(socket: Socket, address: string): void {
  if (address !== '0.0.0.0') return;
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (iface.family !== 'IPv4') continue;
      try {
        socket.addMembership(SSDP_GROUP, iface.address);
      } catch {
        // An interface without multicast (some tunnels) is simply not listened on.
      }
    }
  }
}
