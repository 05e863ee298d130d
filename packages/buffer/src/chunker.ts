// Groups aligned TS packets into buffer chunks, flushed by size or by time, whichever comes first.

import { TS_PACKET_SIZE } from '@acestream-proxy/ts';
import { packetsBelowSizeClass } from './size-class.js';

export interface ChunkerOptions {
  /** Largest chunk in bytes (PROXY_BUFFER_CHUNK_SIZE, a multiple of 188). */
  maxBytes: number;
  /** Longest time a byte waits before it is flushed (PROXY_FLUSH_INTERVAL_MS). */
  flushIntervalMs: number;
  onChunk: (chunk: Buffer) => void;
}

/**
 * Flush intervals the rate behind the size cap is measured over. Engines deliver in bursts: measured
 * over one interval, the cap swung between size classes (49 KB and 57 KB chunks of an 8 Mbit/s
 * stream that sends 100 KB per interval), so about 1.5 chunks went out per interval, and as many
 * notifications, fetches and socket writes to every player (issue 25: a third of the fan-out's
 * write calls). Over ten, one chunk fills one class about once per interval.
 */
const RATE_WINDOW_INTERVALS = 10;

/**
 * The cap is the size class under 5% more than an interval's bytes: a rate just under a class
 * boundary (8 Mbit/s is 100,000 bytes per 100 ms, 1.7% over the 96 KiB class) otherwise flipped
 * to the class below whenever the engine's pace dipped, and cut 1.2 chunks per interval. Chunks
 * then fill their class within 5%, and no more than ~1.1 go out per interval.
 */
const CAP_HEADROOM = 1.05;

/**
 * Bounds engine-to-client latency by the flush interval rather than the bitrate: a low-bitrate
 * stream still produces a chunk every interval. Only whole packets go in, so every chunk is a
 * whole number of packets.
 */
export class Chunker {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxBytes: number;
  /** Current size cap: just under an allocator size class, for what arrives per flush interval. */
  private cap: number;
  private windowStart = Date.now();
  private windowBytes = 0;
  /**
   * The first window is one interval: a stream that starts (or a new owner's, after a takeover)
   * gets its cap at once. Measured from the second on over ten, the players of a worker that
   * took over saw a 50 ms longer silence (failover bench: gap median 238 ms against 184 ms).
   */
  private windowIntervals = 1;

  constructor(private readonly options: ChunkerOptions) {
    this.maxBytes = options.maxBytes - (options.maxBytes % TS_PACKET_SIZE);
    if (this.maxBytes < TS_PACKET_SIZE) throw new RangeError(`maxBytes ${options.maxBytes} is below one packet`);
    this.cap = this.maxBytes;
  }

  /** Adds whole packets; emits full chunks at once and arms the time flush for the rest. */
  push(packets: Buffer): void {
    this.measure(packets.length);
    let data = packets;
    // The cap may have shrunk below what is pending (the rate dropped): that is a chunk already.
    if (this.pendingBytes >= this.cap) this.flush();
    while (this.pendingBytes + data.length >= this.cap) {
      const take = this.cap - this.pendingBytes;
      this.pending.push(data.subarray(0, take));
      this.pendingBytes += take;
      data = data.subarray(take);
      this.flush();
    }
    if (data.length === 0) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  // Once per RATE_WINDOW_INTERVALS flush intervals: size chunks so that one fills an allocator
  // class a little before the interval ends. Memory in Redis then tracks the stream's bytes, and
  // latency stays bounded by the interval. Slow streams (under 16 KiB per interval) are flushed by
  // time only.
  private measure(bytes: number): void {
    this.windowBytes += bytes;
    const now = Date.now();
    if (now - this.windowStart < this.options.flushIntervalMs * this.windowIntervals) return;
    const perInterval = (this.windowBytes * this.options.flushIntervalMs) / (now - this.windowStart);
    const fit = packetsBelowSizeClass(Math.min(perInterval * CAP_HEADROOM, this.maxBytes));
    this.cap = fit > 0 ? fit : this.maxBytes;
    this.windowStart = now;
    this.windowBytes = 0;
    this.windowIntervals = RATE_WINDOW_INTERVALS;
  }

  /** Emits whatever is pending as one chunk. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pendingBytes === 0) return;
    // One copy per chunk: the engine's reads are small and the chunk must outlive them.
    const chunk = this.pending.length === 1 ? Buffer.from(this.pending[0]!) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.options.onChunk(chunk);
  }

  /** Drops pending bytes and the timer; the chunker is unusable afterwards. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
