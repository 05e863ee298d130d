// libhdhomerun's discovery packets: type, length, TLV payload, CRC32 trailer (little-endian).

import { crc32 } from 'node:zlib';

export const DISCOVER_REQUEST = 0x0002;
export const DISCOVER_REPLY = 0x0003;

export const TAG = {
  deviceType: 0x01,
  deviceId: 0x02,
  tunerCount: 0x10,
  lineupUrl: 0x27,
  baseUrl: 0x2a,
  deviceAuth: 0x2b,
} as const;

export const DEVICE_TYPE_TUNER = 0x00000001;
export const WILDCARD = 0xffffffff;

export interface Tlv {
  tag: number;
  value: Buffer;
}

/** Lengths up to 127 take one byte; longer ones two, low seven bits first with the top bit set. */
function encodeLength(length: number): Buffer {
  return length <= 0x7f ? Buffer.from([length]) : Buffer.from([(length & 0x7f) | 0x80, length >> 7]);
}

export function encodePacket(type: number, tlvs: readonly Tlv[]): Buffer {
  const payload = Buffer.concat(tlvs.flatMap((t) => [Buffer.from([t.tag]), encodeLength(t.value.length), t.value]));
  const frame = Buffer.alloc(4 + payload.length + 4);
  frame.writeUInt16BE(type, 0);
  frame.writeUInt16BE(payload.length, 2);
  payload.copy(frame, 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 4 + payload.length)), 4 + payload.length);
  return frame;
}

/** The packet's type and TLVs; null for anything malformed (wrong length, bad CRC). */
export function decodePacket(frame: Buffer): { type: number; tlvs: Tlv[] } | null {
  if (frame.length < 8) return null;
  const length = frame.readUInt16BE(2);
  if (frame.length !== 4 + length + 4) return null;
  if (crc32(frame.subarray(0, 4 + length)) !== frame.readUInt32LE(4 + length)) return null;
  const tlvs: Tlv[] = [];
  let at = 4;
  const end = 4 + length;
  while (at < end) {
    if (at + 2 > end) return null;
    const tag = frame[at++]!;
    let size = frame[at++]!;
    if (size & 0x80) {
      if (at >= end) return null;
      size = (size & 0x7f) | (frame[at++]! << 7);
    }
    if (at + size > end) return null;
    tlvs.push({ tag, value: frame.subarray(at, at + size) });
    at += size;
  }
  return { type: frame.readUInt16BE(0), tlvs };
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}
