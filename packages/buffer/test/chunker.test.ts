import { Chunker, packetsBelowSizeClass } from '@acestream-proxy/buffer';
import { waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';

const packets = (n: number) => {
  const b = Buffer.alloc(n * 188, 0x11);
  for (let i = 0; i < n; i++) b[i * 188] = 0x47;
  return b;
};

describe('Chunker', () => {
  it('flushes by size, in whole packets', () => {
    const chunks: Buffer[] = [];
    const chunker = new Chunker({ maxBytes: 188 * 10 + 50, flushIntervalMs: 10_000, onChunk: (c) => chunks.push(c) });
    chunker.push(packets(25));
    expect(chunks.map((c) => c.length)).toEqual([1880, 1880]);
    chunker.flush();
    expect(chunks.map((c) => c.length)).toEqual([1880, 1880, 940]);
    chunker.close();
  });

  it('flushes by time when the size is not reached', async () => {
    const chunks: Buffer[] = [];
    const chunker = new Chunker({ maxBytes: 1_000_000, flushIntervalMs: 20, onChunk: (c) => chunks.push(c) });
    chunker.push(packets(3));
    await waitFor(() => chunks.length === 1, { what: 'a time flush' });
    expect(chunks[0]!.length).toBe(564);
    chunker.close();
  });

  it('cuts a steady stream just under an allocator size class, within the flush interval', async () => {
    const chunks: Buffer[] = [];
    const chunker = new Chunker({ maxBytes: 1_048_476, flushIntervalMs: 50, onChunk: (c) => chunks.push(c) });
    // About 26 KB per 50 ms interval, fed in 8 KB reads.
    const feed = setInterval(() => chunker.push(packets(44)), 16);
    await waitFor(() => chunks.length >= 12, { what: 'a dozen chunks', timeoutMs: 5000 });
    clearInterval(feed);
    chunker.close();
    // After the first interval's measurement every chunk fills a size class (24 KiB here, or a
    // neighbour when timers jitter) as closely as whole packets allow: under 2% is wasted.
    for (const c of chunks.slice(4)) {
      expect(packetsBelowSizeClass(c.length + 200)).toBe(c.length);
      expect(c.length).toBeGreaterThan(16_384);
    }
  });
});
