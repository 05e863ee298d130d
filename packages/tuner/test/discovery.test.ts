// Discovery with real clients: libhdhomerun's `hdhomerun_config discover` finds the tuner, and
// an SSDP M-SEARCH gets one unicast answer; requests for another device get none.

import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import {
  type Announcement,
  deviceAuthOf,
  HdhomerunDiscoveryResponder,
  randomDeviceId,
  SsdpResponder,
  TunerDiscovery,
} from '@acestream-proxy/tuner';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DISCOVER_REPLY, DISCOVER_REQUEST, decodePacket, encodePacket, TAG, u32 } from '../src/discovery/packet.js';

const run = promisify(execFile);
const quiet = { info: () => {}, warn: () => {} };
const deviceId = randomDeviceId();
const announce = async (local: string): Promise<Announcement> => ({
  device: { deviceId, deviceAuth: deviceAuthOf(deviceId), friendlyName: 'AceStream Proxy', tunerCount: 6 },
  baseUrl: `http://${local}:8000`,
});

/**
 * Sends one datagram from a fresh socket: the first reply, or none within `ms` (the silence
 * some cases assert; a reply comes back over loopback in well under a millisecond).
 */
async function ask(to: string, port: number, message: Buffer | string, ms = 300): Promise<Buffer[]> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const replies = await new Promise<Buffer[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), ms);
    socket.once('message', (m) => {
      clearTimeout(timer);
      resolve([m]);
    });
    socket.send(message, port, to);
  });
  socket.close();
  return replies;
}

describe('HDHomeRun discovery', () => {
  let discovery: TunerDiscovery;
  beforeAll(async () => {
    discovery = new TunerDiscovery({ address: '127.0.0.2', ssdpPort: 0, announce, logger: quiet });
    await discovery.start();
  });
  afterAll(() => discovery.close());

  it('hdhomerun_config discover finds the tuner at the address asked and prints its DeviceID', async () => {
    const { stdout } = await run('hdhomerun_config', ['discover', '127.0.0.2'], { timeout: 10_000 });
    expect(stdout).toContain(`hdhomerun device ${deviceId} found at 127.0.0.2`);
  });

  it('replies with the base URL of the address the request came in on, tuner count and lineup URL', async () => {
    const request = encodePacket(DISCOVER_REQUEST, [
      { tag: TAG.deviceType, value: u32(1) },
      { tag: TAG.deviceId, value: u32(0xffffffff) },
    ]);
    const [reply] = await ask('127.0.0.2', 65001, request);
    const packet = decodePacket(reply!);
    expect(packet?.type).toBe(DISCOVER_REPLY);
    const tags = new Map(packet!.tlvs.map((t) => [t.tag, t.value]));
    expect(tags.get(TAG.deviceId)!.readUInt32BE(0).toString(16).toUpperCase().padStart(8, '0')).toBe(deviceId);
    expect(tags.get(TAG.tunerCount)![0]).toBe(6);
    expect(tags.get(TAG.baseUrl)!.toString()).toBe('http://127.0.0.2:8000');
    expect(tags.get(TAG.lineupUrl)!.toString()).toBe('http://127.0.0.2:8000/lineup.json');
  });

  it('stays silent for another DeviceID, another device type, and a corrupted packet', async () => {
    const otherId = encodePacket(DISCOVER_REQUEST, [{ tag: TAG.deviceId, value: u32(0x1000000f) }]);
    const storage = encodePacket(DISCOVER_REQUEST, [{ tag: TAG.deviceType, value: u32(5) }]);
    const corrupt = encodePacket(DISCOVER_REQUEST, [{ tag: TAG.deviceType, value: u32(1) }]);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const replies = await Promise.all([otherId, storage, corrupt].map((m) => ask('127.0.0.2', 65001, m)));
    expect(replies.map((r) => r.length)).toEqual([0, 0, 0]);
  });

  it('binds once per host: a second worker finds the port taken and does not answer', async () => {
    const second = new HdhomerunDiscoveryResponder({ address: '127.0.0.2', port: 65001, announce, logger: quiet });
    await second.start();
    expect(second.port()).toBeNull();
    await second.close();
    expect(discovery.hdhomerun.port()).toBe(65001);
  });

  it('answers an SSDP M-SEARCH with the device.xml of the asked address, to the asker only', async () => {
    const port = discovery.ssdp.port()!;
    expect(port).toBeGreaterThan(0);
    const search = (st: string) =>
      `M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ${st}\r\n\r\n`;
    const [reply] = await ask('127.0.0.2', port, search('urn:schemas-upnp-org:device:MediaServer:1'));
    const text = reply!.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('LOCATION: http://127.0.0.2:8000/device.xml\r\n');
    expect(text).toContain('ST: urn:schemas-upnp-org:device:MediaServer:1\r\n');
    expect(await ask('127.0.0.2', port, search('urn:schemas-upnp-org:device:Printer:1'))).toEqual([]);
    expect(await ask('127.0.0.2', port, 'NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n')).toEqual([]);
  });

  it('an SSDP responder alone answers ssdp:all as a root device', async () => {
    const ssdp = new SsdpResponder({ address: '127.0.0.3', port: 0, announce, logger: quiet });
    await ssdp.start();
    try {
      const [reply] = await ask('127.0.0.3', ssdp.port()!, 'M-SEARCH * HTTP/1.1\r\nMAN: ssdp:discover\r\nST: ssdp:all\r\n\r\n');
      expect(reply!.toString()).toContain('ST: upnp:rootdevice\r\n');
      expect(reply!.toString()).toContain('LOCATION: http://127.0.0.3:8000/device.xml');
    } finally {
      await ssdp.close();
    }
  });
});
