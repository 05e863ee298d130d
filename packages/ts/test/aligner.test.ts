import { TsAligner } from '@acestream-proxy/ts';
import { describe, expect, it } from '@jest/globals';

/** `n` packets, each with the sync byte and a distinct, recognisable body. */
function packets(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n * 188);
  for (let p = 0; p < n; p++) {
    for (let i = 1; i < 188; i++) out[p * 188 + i] = (seed + p * 7 + i) & 0xff;
    // Avoid stray sync bytes in bodies only where a test needs it: the aligner must cope anyway.
    out[p * 188] = 0x47;
  }
  return out;
}

function feed(aligner: TsAligner, parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const whole = aligner.push(part);
    if (whole) {
      expect(whole.length % 188).toBe(0);
      out.push(whole);
    }
  }
  return Buffer.concat(out);
}

describe('TsAligner', () => {
  const stream = packets(6);

  it('reassembles the exact bytes when a read is split at every offset', () => {
    for (let cut = 0; cut <= 188 * 3; cut++) {
      const aligner = new TsAligner();
      const out = feed(aligner, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(out.equals(stream)).toBe(true);
    }
  });

  it('handles byte-by-byte reads', () => {
    const aligner = new TsAligner();
    const parts = [...stream].map((b) => Buffer.from([b]));
    expect(feed(aligner, parts).equals(stream)).toBe(true);
  });

  it('returns aligned input without copying it', () => {
    const aligner = new TsAligner();
    const out = aligner.push(stream);
    expect(out).not.toBeNull();
    expect(out!.buffer).toBe(stream.buffer);
    expect(out!.byteOffset).toBe(stream.byteOffset);
  });

  it('skips a garbage prefix', () => {
    const aligner = new TsAligner();
    const garbage = Buffer.from('HTTP junk \x47 more junk');
    const out = feed(aligner, [Buffer.concat([garbage, stream])]);
    expect(out.equals(stream)).toBe(true);
    expect(aligner.droppedBytes).toBe(garbage.length);
  });

  it('re-syncs after garbage between packets and counts it', () => {
    const aligner = new TsAligner();
    const a = packets(4, 1);
    const b = packets(4, 2);
    const garbage = Buffer.alloc(77, 0x11);
    const out = feed(aligner, [Buffer.concat([a, garbage, b])]);
    expect(out.equals(Buffer.concat([a, b]))).toBe(true);
    expect(aligner.resyncs).toBe(1);
    expect(aligner.droppedBytes).toBe(77);
  });

  it('re-syncs when the garbage arrives split across reads', () => {
    const aligner = new TsAligner();
    const a = packets(3, 3);
    const b = packets(5, 4);
    const all = Buffer.concat([a, Buffer.alloc(50, 0x22), b]);
    const out = feed(aligner, [all.subarray(0, 600), all.subarray(600, 700), all.subarray(700)]);
    expect(out.equals(Buffer.concat([a, b]))).toBe(true);
    expect(aligner.resyncs).toBe(1);
  });

  it('reset forgets a partial packet', () => {
    const aligner = new TsAligner();
    aligner.push(stream.subarray(0, 188 * 3 + 10));
    aligner.reset();
    expect(feed(aligner, [stream]).equals(stream)).toBe(true);
  });
});
