// Chunk sizes that Redis stores without waste: just under one of its allocator's size classes.

import { TS_PACKET_SIZE } from '@acestream-proxy/ts';

/**
 * Redis allocates with jemalloc, whose size classes above 16 KiB come four per power of two
 * (2^k + i·2^(k-2)); a string is its bytes plus a small header. A chunk of 52 KB lands in the
 * 56 KiB class and wastes 10%; one cut at 48 KiB minus the header wastes almost nothing.
 */
const HEADER_BYTES = 16;
const SMALLEST = 16 * 1024;

/** The largest whole-packet size at or below `bytes` that fills an allocator class (0 below 16 KiB). */
export function packetsBelowSizeClass(bytes: number): number {
  if (bytes < SMALLEST) return 0;
  const k = Math.floor(Math.log2(bytes));
  const step = 2 ** (k - 2);
  const sizeClass = 2 ** k + Math.floor((bytes - 2 ** k) / step) * step;
  const fit = sizeClass - HEADER_BYTES;
  return fit - (fit % TS_PACKET_SIZE);
}
