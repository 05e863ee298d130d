// Finds where a player can start decoding: the first video random access point in a run of packets.

import { hasRandomAccess, payloadOffset, payloadUnitStart, TS_PACKET_SIZE } from './packet.js';

/**
 * Byte offset (a multiple of 188 from `from`) of the first packet that starts a video PES at a
 * random access point, or -1. The adaptation field's random_access_indicator alone is not enough:
 * muxers set it on every audio frame too. Streams whose muxer never sets it are recognised by an
 * H.264 IDR or SPS NAL unit at the start of the PES. Other codecs (HEVC) rely on the flag: without
 * the PMT's stream type an HEVC NAL header cannot be told from an H.264 one.
 */
export function findRandomAccess(buf: Buffer, from = 0): number {
  for (let off = from; off + TS_PACKET_SIZE <= buf.length; off += TS_PACKET_SIZE) {
    if (!payloadUnitStart(buf, off)) continue;
    const p = videoPesPayload(buf, off);
    if (p < 0) continue;
    if (hasRandomAccess(buf, off) || startsKeyframe(buf, p, off + TS_PACKET_SIZE)) return off;
  }
  return -1;
}

/** Offset of the elementary stream bytes of a video PES starting in this packet, or -1. */
function videoPesPayload(buf: Buffer, off: number): number {
  const p = payloadOffset(buf, off);
  if (p < 0 || p + 9 > off + TS_PACKET_SIZE) return -1;
  if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) return -1;
  if ((buf[p + 3]! & 0xf0) !== 0xe0) return -1; // stream_id 0xE0-0xEF: video
  return p + 9 + buf[p + 8]!;
}

function startsKeyframe(buf: Buffer, from: number, end: number): boolean {
  for (let i = from; i + 4 < end; i++) {
    if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
    const nalType = buf[i + 3]! & 0x1f;
    if (nalType === 5 || nalType === 7) return true;
  }
  return false;
}
