// Finds where a player can start decoding: the first random access point in a run of packets.

import { hasRandomAccess, payloadOffset, payloadUnitStart, TS_PACKET_SIZE } from './packet.js';

/**
 * Byte offset (a multiple of 188 from `from`) of the first packet that is a random access point,
 * or -1. A packet counts when its adaptation field sets random_access_indicator or, for streams
 * whose muxer never sets it, when it starts a video PES whose first packet holds an H.264 IDR or
 * SPS NAL unit. Other codecs (HEVC) rely on the flag: without the PMT's stream type an HEVC NAL
 * header cannot be told from an H.264 one.
 */
export function findRandomAccess(buf: Buffer, from = 0): number {
  for (let off = from; off + TS_PACKET_SIZE <= buf.length; off += TS_PACKET_SIZE) {
    if (hasRandomAccess(buf, off)) return off;
    if (payloadUnitStart(buf, off) && startsKeyframe(buf, off)) return off;
  }
  return -1;
}

function startsKeyframe(buf: Buffer, off: number): boolean {
  const p = payloadOffset(buf, off);
  if (p < 0 || buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) return false;
  const streamId = buf[p + 3]!;
  if (streamId < 0xe0 || streamId > 0xef) return false; // video PES only
  const end = off + TS_PACKET_SIZE;
  for (let i = p + 9 + buf[p + 8]!; i + 4 < end; i++) {
    if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
    const nalType = buf[i + 3]! & 0x1f;
    if (nalType === 5 || nalType === 7) return true;
  }
  return false;
}
