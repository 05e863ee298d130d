import {
  findRandomAccess,
  hasRandomAccess,
  nullPacket,
  nullPackets,
  PsiTracker,
  packetPid,
  readPcr,
  readPts,
} from '@acestream-proxy/ts';
import { describe, expect, it } from '@jest/globals';

function header(pid: number, { pusi = false, afc = 1, cc = 0 } = {}): Buffer {
  const p = Buffer.alloc(188, 0xff);
  p[0] = 0x47;
  p[1] = (pusi ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  p[2] = pid & 0xff;
  p[3] = (afc << 4) | cc;
  return p;
}

function pcrPacket(pid: number, base: number, ext: number, rai = false): Buffer {
  const p = header(pid, { afc: 3 });
  p[4] = 7;
  p[5] = 0x10 | (rai ? 0x40 : 0);
  p[6] = Math.floor(base / 2 ** 25) & 0xff;
  p[7] = Math.floor(base / 2 ** 17) & 0xff;
  p[8] = Math.floor(base / 2 ** 9) & 0xff;
  p[9] = Math.floor(base / 2) & 0xff;
  p[10] = ((base & 1) << 7) | 0x7e | ((ext >> 8) & 1);
  p[11] = ext & 0xff;
  return p;
}

function ptsPacket(pid: number, pts: number, nal?: number): Buffer {
  const p = header(pid, { pusi: true });
  const pes = [0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5];
  pes.push(
    0x21 | ((Math.floor(pts / 2 ** 30) & 7) << 1),
    Math.floor(pts / 2 ** 22) & 0xff,
    ((Math.floor(pts / 2 ** 15) & 0x7f) << 1) | 1,
    Math.floor(pts / 2 ** 7) & 0xff,
    ((pts & 0x7f) << 1) | 1,
  );
  if (nal !== undefined) pes.push(0, 0, 0, 1, nal);
  Buffer.from(pes).copy(p, 4);
  return p;
}

function patPacket(pmtPid: number, version = 0): Buffer {
  const p = header(0, { pusi: true });
  const section = [
    0x00,
    0x00,
    0xb0,
    13,
    0x00,
    0x01,
    0xc1 | (version << 1),
    0,
    0,
    0x00,
    0x01,
    0xe0 | (pmtPid >> 8),
    pmtPid & 0xff,
    1,
    2,
    3,
    4,
  ];
  Buffer.from(section).copy(p, 4);
  return p;
}

describe('TS packet peeks', () => {
  it('builds a null packet as players expect it', () => {
    const n = nullPacket();
    expect(n.length).toBe(188);
    expect(n[0]).toBe(0x47);
    expect(packetPid(n)).toBe(0x1fff);
    expect((n[3]! >> 4) & 3).toBe(1);
    expect(n.subarray(4).every((b) => b === 0xff)).toBe(true);
    const run = nullPackets(3);
    expect(run.length).toBe(564);
    expect(run.subarray(376).equals(n)).toBe(true);
    expect(nullPackets(3)).toBe(run);
  });

  it('reads PCR and the random access indicator', () => {
    const p = pcrPacket(0x100, 123_456_789, 250, true);
    expect(readPcr(p)).toBe(123_456_789 * 300 + 250);
    expect(hasRandomAccess(p)).toBe(true);
    expect(hasRandomAccess(pcrPacket(0x100, 1, 0, false))).toBe(false);
    expect(readPcr(header(0x100))).toBeNull();
  });

  it('reads a PES PTS', () => {
    expect(readPts(ptsPacket(0x100, 8_589_934_000))).toBe(8_589_934_000);
    expect(readPts(header(0x100))).toBeNull();
  });

  it('finds the first video random access point by flag, or by an IDR when no flag is set', () => {
    const plain = header(0x100);
    const flaggedAudio = ptsPacket(0x101, 900);
    flaggedAudio[3] = 0x30;
    flaggedAudio.copyWithin(6, 4, 180);
    flaggedAudio[4] = 1;
    flaggedAudio[5] = 0x40;
    flaggedAudio[9] = 0xc0; // audio stream_id
    const flaggedVideo = ptsPacket(0x100, 900);
    flaggedVideo.copyWithin(6, 4, 180);
    flaggedVideo[3] = 0x30;
    flaggedVideo[4] = 1;
    flaggedVideo[5] = 0x40;
    expect(hasRandomAccess(flaggedAudio)).toBe(true);
    expect(findRandomAccess(Buffer.concat([plain, flaggedAudio, flaggedVideo, plain]))).toBe(376);
    const idr = ptsPacket(0x100, 900, 0x65);
    const pslice = ptsPacket(0x100, 900, 0x41);
    expect(findRandomAccess(Buffer.concat([plain, pslice, idr]))).toBe(376);
    expect(findRandomAccess(Buffer.concat([plain, pslice]))).toBe(-1);
  });

  it('PsiTracker keeps the latest PAT and the PMT it names', () => {
    const tracker = new PsiTracker();
    const pmt = header(0x1000, { pusi: true });
    pmt[5] = 0x02;
    tracker.observe(Buffer.concat([pmt, header(0x100)]));
    expect(tracker.header()).toBeNull();
    tracker.observe(Buffer.concat([patPacket(0x1000), header(0x100), pmt]));
    expect(tracker.pmtPid).toBe(0x1000);
    const h = tracker.header()!;
    expect(h.length).toBe(376);
    // Marked as a discontinuity, payload kept: same PSI section one adaptation field later.
    expect(h[3]! >> 4).toBe(3);
    expect(h[5]! & 0x80).toBe(0x80);
    expect(h.subarray(6, 6 + 17).equals(patPacket(0x1000).subarray(4, 4 + 17))).toBe(true);
    expect(packetPid(h, 0)).toBe(0);
    expect(packetPid(h, 188)).toBe(0x1000);
    expect(tracker.header()).toBe(h);
    tracker.observe(patPacket(0x1001, 1));
    expect(tracker.pmtPid).toBe(0x1001);
    expect(tracker.header()).toBeNull();
  });
});
