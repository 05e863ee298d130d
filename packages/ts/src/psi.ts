// Keeps the latest PAT and PMT packets of a stream, so a joining player can be sent them first.

import { PAT_PID, packetPid, payloadOffset, payloadUnitStart, TS_PACKET_SIZE } from './packet.js';

/**
 * Watches whole-packet chunks for the PAT (PID 0) and the PMT it points to. Handles
 * single-program streams whose PAT and PMT sections each fit in one packet (what AceStream
 * engines and common encoders emit); a section spanning packets is ignored.
 */
export class PsiTracker {
  private patPacket: Buffer | null = null;
  private pmtPacket: Buffer | null = null;
  private pmtPidValue: number | null = null;
  private cachedHeader: Buffer | null = null;

  get pat(): Buffer | null {
    return this.patPacket;
  }
  get pmt(): Buffer | null {
    return this.pmtPacket;
  }
  get pmtPid(): number | null {
    return this.pmtPidValue;
  }

  observe(chunk: Buffer): void {
    for (let off = 0; off + TS_PACKET_SIZE <= chunk.length; off += TS_PACKET_SIZE) {
      const pid = packetPid(chunk, off);
      if (pid === PAT_PID) this.onPat(chunk, off);
      else if (pid === this.pmtPidValue && payloadUnitStart(chunk, off)) this.keep('pmt', chunk, off);
    }
  }

  /**
   * PAT then PMT as one Buffer (cached until either changes), or null until both were seen. Each
   * carries the discontinuity indicator: inserted ahead of the stream, their continuity counters
   * legitimately jump relative to the packets that follow.
   */
  header(): Buffer | null {
    if (!this.patPacket || !this.pmtPacket) return null;
    this.cachedHeader ??= Buffer.concat([withDiscontinuity(this.patPacket), withDiscontinuity(this.pmtPacket)]);
    return this.cachedHeader;
  }

  private onPat(chunk: Buffer, off: number): void {
    if (!payloadUnitStart(chunk, off)) return;
    const p = payloadOffset(chunk, off);
    if (p < 0) return;
    const section = p + 1 + chunk[p]!; // skip pointer_field
    const sectionLength = ((chunk[section + 1]! & 0x0f) << 8) | chunk[section + 2]!;
    const programsEnd = section + 3 + sectionLength - 4; // before CRC_32
    if (programsEnd > off + TS_PACKET_SIZE) return;
    for (let e = section + 8; e + 4 <= programsEnd; e += 4) {
      const program = (chunk[e]! << 8) | chunk[e + 1]!;
      if (program === 0) continue; // network PID entry
      const pmtPid = ((chunk[e + 2]! & 0x1f) << 8) | chunk[e + 3]!;
      if (pmtPid !== this.pmtPidValue) {
        this.pmtPidValue = pmtPid;
        this.pmtPacket = null;
        this.cachedHeader = null;
      }
      break;
    }
    this.keep('pat', chunk, off);
  }

  private keep(which: 'pat' | 'pmt', chunk: Buffer, off: number): void {
    const current = which === 'pat' ? this.patPacket : this.pmtPacket;
    // Same bytes but the continuity counter: nothing changed, keep the cached header.
    if (current?.subarray(4).equals(chunk.subarray(off + 4, off + TS_PACKET_SIZE))) return;
    const copy = Buffer.from(chunk.subarray(off, off + TS_PACKET_SIZE));
    if (which === 'pat') this.patPacket = copy;
    else this.pmtPacket = copy;
    this.cachedHeader = null;
  }
}

/**
 * A copy of a PSI packet with discontinuity_indicator set. A packet without an adaptation field
 * gets a 2-byte one when its payload ends in stuffing (PSI sections are padded with 0xFF);
 * otherwise the copy is returned unmarked.
 */
export function withDiscontinuity(packet: Buffer): Buffer {
  const out = Buffer.from(packet);
  const afc = (out[3]! >> 4) & 0x03;
  if (afc & 0x02) {
    if (out[4]! > 0) out[5] = out[5]! | 0x80;
    return out;
  }
  if (packet[TS_PACKET_SIZE - 1] !== 0xff || packet[TS_PACKET_SIZE - 2] !== 0xff) return out;
  out[3] = (out[3]! & 0x0f) | 0x30;
  out[4] = 1;
  out[5] = 0x80;
  packet.copy(out, 6, 4, TS_PACKET_SIZE - 2);
  return out;
}
