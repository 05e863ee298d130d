// Loops a real MPEG-TS file as a live stream, rewriting CC, PCR and PTS/DTS so each loop continues.

import { readFileSync } from 'node:fs';
import { packetPid as pid, readPcr } from '@acestream-proxy/ts';
import type { TsSource } from './source.js';
import { ContinuityCounters, pcrBytes } from './ts-writer.js';

const PACKET = 188;
const PTS_WRAP = 2 ** 33;

interface Timing {
  /** Length of one loop in 90 kHz ticks: every stream's span plus one frame, the longest. */
  loopTicks: number;
  packets: number;
}

/** Offset of a PES header starting in this packet, or -1. */
function pesStart(buf: Buffer, off: number): number {
  if (!(buf[off + 1]! & 0x40) || !(buf[off + 3]! & 0x10)) return -1;
  const p = buf[off + 3]! & 0x20 ? off + 5 + buf[off + 4]! : off + 4;
  if (p + 14 > off + PACKET || buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) return -1;
  return p;
}

function readTs(buf: Buffer, at: number): number {
  return (
    ((buf[at]! >> 1) & 0x07) * 2 ** 30 +
    buf[at + 1]! * 2 ** 22 +
    (buf[at + 2]! >> 1) * 2 ** 15 +
    buf[at + 3]! * 2 ** 7 +
    (buf[at + 4]! >> 1)
  );
}

function writeTs(buf: Buffer, at: number, value: number): void {
  const t = value % PTS_WRAP;
  buf[at] = (buf[at]! & 0xf1) | ((Math.floor(t / 2 ** 30) & 0x07) << 1);
  buf[at + 1] = Math.floor(t / 2 ** 22) & 0xff;
  buf[at + 2] = ((Math.floor(t / 2 ** 15) & 0x7f) << 1) | 1;
  buf[at + 3] = Math.floor(t / 2 ** 7) & 0xff;
  buf[at + 4] = ((t & 0x7f) << 1) | 1;
}

/** Whole packets of the file, from its first sync position. */
function loadPackets(path: string): Buffer {
  const data = readFileSync(path);
  let start = 0;
  while (start < data.length && !(data[start] === 0x47 && data[start + PACKET] === 0x47)) start++;
  const whole = Math.floor((data.length - start) / PACKET) * PACKET;
  if (whole === 0) throw new Error(`${path} holds no MPEG-TS packets`);
  return data.subarray(start, start + whole);
}

function measure(file: Buffer): Timing {
  const spans = new Map<number, { first: number; last: number; step: number; video: boolean }>();
  for (let off = 0; off < file.length; off += PACKET) {
    const p = pesStart(file, off);
    if (p < 0 || !(file[p + 7]! & 0x80)) continue;
    const ts = readTs(file, p + 9);
    const id = pid(file, off);
    const span = spans.get(id);
    if (!span) spans.set(id, { first: ts, last: ts, step: 0, video: (file[p + 3]! & 0xf0) === 0xe0 });
    else {
      if (span.step === 0 && ts > span.last) span.step = ts - span.last;
      span.last = Math.max(span.last, ts);
    }
  }
  // Video PES carry one frame each, so span + one step is the loop length. Audio PES often carry
  // several frames, which would overshoot; audio only decides when there is no video.
  const all = [...spans.values()];
  const timed = all.some((s) => s.video) ? all.filter((s) => s.video) : all;
  let loopTicks = 0;
  for (const s of timed) loopTicks = Math.max(loopTicks, s.last - s.first + s.step);
  if (loopTicks <= 0) throw new Error('the file has no PES timestamps to pace it by');
  return { loopTicks, packets: file.length / PACKET };
}

export class FileSource implements TsSource {
  readonly byteRate: number;
  private readonly file: Buffer;
  private readonly timing: Timing;
  private readonly counters = new ContinuityCounters();
  private readonly packetsPerFrame: number;
  private packet = 0;
  private loop = 0;

  constructor(path: string) {
    this.file = loadPackets(path);
    this.timing = measure(this.file);
    const seconds = this.timing.loopTicks / 90_000;
    this.byteRate = this.file.length / seconds;
    // Hand out about 40 ms of file per call, like one video frame.
    this.packetsPerFrame = Math.max(1, Math.round((this.byteRate * 0.04) / PACKET));
  }

  nextFrame(): Buffer {
    const out = Buffer.alloc(this.packetsPerFrame * PACKET);
    for (let i = 0; i < this.packetsPerFrame; i++) {
      if (this.packet >= this.timing.packets) {
        this.packet = 0;
        this.loop++;
      }
      const off = i * PACKET;
      this.file.copy(out, off, this.packet * PACKET, (this.packet + 1) * PACKET);
      this.packet++;
      this.rewrite(out, off);
    }
    return out;
  }

  // Continuity counters run on across loops; clocks shift by one loop length per loop.
  private rewrite(buf: Buffer, off: number): void {
    const id = pid(buf, off);
    if (id === 0x1fff) return;
    const cc = buf[off + 3]! & 0x10 ? this.counters.next(id) : this.counters.current(id);
    buf[off + 3] = (buf[off + 3]! & 0xf0) | cc;
    if (this.loop === 0) return;
    const ticks = this.loop * this.timing.loopTicks;
    const original = readPcr(buf, off);
    if (original !== null) {
      const pcr = (original + ticks * 300) % (PTS_WRAP * 300);
      Buffer.from(pcrBytes(pcr)).copy(buf, off + 6);
    }
    const p = pesStart(buf, off);
    if (p < 0) return;
    const flags = buf[p + 7]! >> 6;
    if (flags & 0x2) writeTs(buf, p + 9, readTs(buf, p + 9) + ticks);
    if (flags === 0x3) writeTs(buf, p + 14, readTs(buf, p + 14) + ticks);
  }
}
