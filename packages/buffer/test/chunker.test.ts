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
      // About 26 KB per 50 ms interval, fed in 8 KB reads, for 1.6 s.
      const measuredAt: number[] = [];
      for (let read = 0; read < 100; read++) {
        jest.advanceTimersByTime(16);
        chunker.push(packets(44));
        // The rate is known from the first window's end (10 intervals, 500 ms) on.
        if (read * 16 > 500) measuredAt.push(chunks.length);
      }
      chunker.close();
      const capped = chunks.slice(measuredAt[0]! + 1);
      // One chunk per interval, give or take the one that is pending: ~1.1 s after the window.
      expect(capped.length).toBeGreaterThanOrEqual(20);
      expect(capped.length).toBeLessThanOrEqual(24);
      // Every chunk fills the 24 KiB size class as closely as whole packets allow: under 2% is wasted.
      for (const c of capped) {
        expect(packetsBelowSizeClass(c.length + 200)).toBe(c.length);
        expect(c.length).toBeGreaterThan(24_576 * 0.98);
        expect(c.length).toBeLessThanOrEqual(24_576);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('cuts about one chunk per interval from a rate just over a size class boundary, whatever its jitter', () => {
    // 8 Mbit/s: ~100 KB per 100 ms interval, 1.7% over the 96 KiB class, read every 10 ms, the
    // engine's pace wandering by ±2% from one second to the next (52 or 54 packets a read) and
    // by up to ±11% from one read to the next.
    jest.useFakeTimers();
    try {
      const chunks: Array<{ at: number; length: number }> = [];
      const chunker = new Chunker({
        maxBytes: 1_048_476,
        flushIntervalMs: 100,
        onChunk: (c) => chunks.push({ at: Date.now(), length: c.length }),
      });
      const start = Date.now();
      for (let read = 0; read < 600; read++) {
        jest.advanceTimersByTime(10);
        const pace = Math.floor(read / 100) % 2 === 0 ? 52 : 54;
        chunker.push(packets(pace - 6 + ((read * 5) % 13)));
      }
      chunker.close();
      // From 1.5 s on (the first rate window is over): 4.5 s, 45 intervals.
      const measured = chunks.filter((c) => c.at - start >= 1500);
      expect(measured.length).toBeLessThanOrEqual(Math.ceil(45 * 1.05));
      for (const c of measured) expect(c.length).toBeLessThanOrEqual(98_304 - 16);
    } finally {
      jest.useRealTimers();
    }
  });

  it('never loses or reorders a byte when the size cap shrinks below what is pending', () => {
    jest.useFakeTimers();
    const chunks: Buffer[] = [];
    const chunker = new Chunker({ maxBytes: 1_048_476, flushIntervalMs: 100, onChunk: (c) => chunks.push(c) });
    let next = 0;
    const numbered = (count: number) => {
      const b = packets(count);
      for (let i = 0; i < count; i++) b.writeUInt32BE(next++, i * 188 + 4);
      return b;
    };
    const sent: Buffer[] = [];
    const push = (count: number) => {
      sent.push(numbered(count));
      chunker.push(sent.at(-1)!);
    };
    try {
      // The first rate window is one interval: it closes on a packet 150 ms in (a slow rate, no cap).
      push(1);
      chunker.flush();
      jest.advanceTimersByTime(150);
      push(1);
      chunker.flush();
      // 200 KB early in the second window (1 s)...
      jest.advanceTimersByTime(50);
      push(1064);
      chunker.flush();
      // ...and a burst late in it stays pending (its time flush is due 100 ms later)...
      jest.advanceTimersByTime(900);
      push(300);
      // ...when the window closes and the measured rate sets a cap (~24 KB) below the 56 KB pending.
      jest.advanceTimersByTime(55);
      push(1);
      chunker.flush();
      chunker.close();
    } finally {
      jest.useRealTimers();
    }
    // The pending burst went out whole when the cap shrank below it, before the last packet.
    expect(chunks.map((c) => c.length)).toEqual([188, 188, 1064 * 188, 300 * 188, 188]);
    expect(Buffer.concat(chunks).equals(Buffer.concat(sent))).toBe(true);
    for (const c of chunks) expect(c.length % 188).toBe(0);
  });
});
