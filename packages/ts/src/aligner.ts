// Cuts an engine's byte stream into whole 188-byte packets, carrying partial ones and re-syncing.

import { SYNC_BYTE, TS_PACKET_SIZE } from './packet.js';

/** How many sync bytes at 188-byte spacing confirm a sync position while searching. */
const CONFIRMATIONS = 3;

export class TsAligner {
  private carry: Buffer | null = null;
  private synced = false;
  private dropped = 0;
  private resyncCount = 0;

  get droppedBytes(): number {
    return this.dropped;
  }

  get resyncs(): number {
    return this.resyncCount;
  }

  reset(): void {
    this.carry = null;
    this.synced = false;
  }

  /**
   * Returns the whole packets available after `data` (null when none). When nothing is carried
   * and the data is aligned, the result is a subarray of `data`: no copy.
   */
  push(data: Buffer): Buffer | null {
    let buf = data;
    if (this.carry) {
      buf = Buffer.concat([this.carry, data]);
      this.carry = null;
    }
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (!this.synced) {
        const found = this.findSync(buf, pos);
        if (found < 0) {
          // Not even a partial candidate: all of it is garbage.
          this.dropped += buf.length - pos;
          pos = buf.length;
          break;
        }
        if (found === Number.POSITIVE_INFINITY) {
          this.carry = Buffer.from(buf.subarray(pos));
          pos = buf.length;
          break;
        }
        this.dropped += found - pos;
        pos = found;
        this.synced = true;
      }
      // Take the longest run of packets that each start with a sync byte.
      let end = pos;
      while (end + TS_PACKET_SIZE <= buf.length && buf[end] === SYNC_BYTE) end += TS_PACKET_SIZE;
      if (end > pos) out.push(buf.subarray(pos, end));
      pos = end;
      if (pos >= buf.length) break;
      if (buf[pos] !== SYNC_BYTE) {
        this.synced = false;
        this.resyncCount++;
        continue;
      }
      // A partial packet at the end: carry it to the next push.
      this.carry = Buffer.from(buf.subarray(pos));
      pos = buf.length;
    }
    if (out.length === 0) return null;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /**
   * Position of the first byte from `from` with sync bytes at 188-byte spacing; Infinity when
   * a candidate exists but not enough bytes follow to confirm it; -1 when there is none.
   */
  private findSync(buf: Buffer, from: number): number {
    for (let i = buf.indexOf(SYNC_BYTE, from); i >= 0; i = buf.indexOf(SYNC_BYTE, i + 1)) {
      let confirmed = 1;
      let complete = true;
      for (let k = 1; k < CONFIRMATIONS; k++) {
        const at = i + k * TS_PACKET_SIZE;
        if (at >= buf.length) {
          complete = false;
          break;
        }
        if (buf[at] !== SYNC_BYTE) break;
        confirmed++;
      }
      if (confirmed === CONFIRMATIONS) return i;
      if (!complete && confirmed === Math.ceil((buf.length - i) / TS_PACKET_SIZE)) return Number.POSITIVE_INFINITY;
    }
    return -1;
  }
}
