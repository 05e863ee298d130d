// The HDHomeRun UDP discovery responder (port 65001): what libhdhomerun, Jellyfin and Emby ask.

import type { RemoteInfo, Socket } from 'node:dgram';
import { deviceAuthOf } from '../device-id.js';
import { localAddressFor } from './local-address.js';
import { DEVICE_TYPE_TUNER, DISCOVER_REPLY, DISCOVER_REQUEST, decodePacket, encodePacket, TAG, u32, WILDCARD } from './packet.js';
import { type ResponderOptions, UdpBinding } from './responder.js';

export const HDHOMERUN_DISCOVERY_PORT = 65001;

/**
 * Answers discovery requests for tuners (or any device type) and for our DeviceID (or any),
 * with one reply sent only to the asker, naming the address the request came in on.
 */
export class HdhomerunDiscoveryResponder extends UdpBinding {
  /** `onListening` runs when this worker wins the port (the gateway starts SSDP there too). */
  constructor(options: ResponderOptions, onListening: () => void = () => {}) {
    super('HDHomeRun discovery', options, onListening);
  }

  protected async answer(message: Buffer, from: RemoteInfo, socket: Socket): Promise<void> {
    const request = decodePacket(message);
    if (!request || request.type !== DISCOVER_REQUEST) return;
    const local = localAddressFor(from.address, this.options.address);
    if (!local) return;
    const { device, baseUrl } = await this.options.announce(local);
    const ours = Number.parseInt(device.deviceId, 16) >>> 0;
    for (const { tag, value } of request.tlvs) {
      if (value.length !== 4) continue;
      const asked = value.readUInt32BE(0);
      if (tag === TAG.deviceType && asked !== WILDCARD && asked !== DEVICE_TYPE_TUNER) return;
      if (tag === TAG.deviceId && asked !== WILDCARD && asked !== ours) return;
    }
    const reply = encodePacket(DISCOVER_REPLY, [
      { tag: TAG.deviceType, value: u32(DEVICE_TYPE_TUNER) },
      { tag: TAG.deviceId, value: u32(ours) },
      { tag: TAG.tunerCount, value: Buffer.from([Math.min(255, device.tunerCount)]) },
      { tag: TAG.deviceAuth, value: Buffer.from(device.deviceAuth || deviceAuthOf(device.deviceId)) },
      { tag: TAG.baseUrl, value: Buffer.from(baseUrl) },
      { tag: TAG.lineupUrl, value: Buffer.from(`${baseUrl}/lineup.json`) },
    ]);
    socket.send(reply, from.port, from.address);
  }
}
