import { Chunker, packetsBelowSizeClass } from '@acestream-proxy/buffer';
import { waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it, jest } from '@jest/globals';

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

  it('cuts a steady stream just under an allocator size class, within the flush interval', () => {
    // The clock is the test's: a read every 16 ms exactly, so whether a size cut comes before the
    // 50 ms time flush does not depend on how busy the machine is.
    jest.useFakeTimers();
    try {
      const chunks: Buffer[] = [];
      const chunker = new Chunker({ maxBytes: 1_048_476, flushIntervalMs: 50, onChunk: (c) => chunks.push(c) });
      // About 26 KB per 50 ms interval, fed in 8 KB reads.
      for (let read = 0; read < 100 && chunks.length < 12; read++) {
        jest.advanceTimersByTime(16);
        chunker.push(packets(44));
      }
      chunker.close();
      expect(chunks.length).toBe(12);
      // After the first interval's measurement every chunk fills the 24 KiB size class as closely
      // as whole packets allow: under 2% is wasted.
      for (const c of chunks.slice(1)) {
        expect(packetsBelowSizeClass(c.length + 200)).toBe(c.length);
        expect(c.length).toBeGreaterThan(24_576 * 0.98);
        expect(c.length).toBeLessThanOrEqual(24_576);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('never loses or reorders a byte when the size cap shrinks below what is pending', async () => {
    const chunks: Buffer[] = [];
    const chunker = new Chunker({ maxBytes: 1_048_476, flushIntervalMs: 100, onChunk: (c) => chunks.push(c) });
    let next = 0;
    const numbered = (count: number) => {
      const b = packets(count);
      for (let i = 0; i < count; i++) b.writeUInt32BE(next++, i * 188 + 4);
      return b;
    };
    const startedAt = Date.now();
    const until = (ms: number) => waitFor(() => Date.now() - startedAt >= ms, { intervalMs: 2, what: `${ms} ms` });
    const sent = [numbered(1)];
    chunker.push(sent[0]!);
    chunker.flush();
    // A burst late in the rate window stays pending (its time flush is due 100 ms later)...
    await until(60);
    sent.push(numbered(300));
    chunker.push(sent[1]!);
    // ...when the window closes and the measured rate sets a cap (~48 KB) below the 56 KB pending.
    await until(105);
    sent.push(numbered(1));
    chunker.push(sent[2]!);
    chunker.flush();
    chunker.close();
    expect(Buffer.concat(chunks).equals(Buffer.concat(sent))).toBe(true);
    for (const c of chunks) expect(c.length % 188).toBe(0);
  });
});
