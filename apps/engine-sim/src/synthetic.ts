// A synthetic live H.264-in-TS stream at any bitrate: PAT/PMT, PCR, PTS/DTS, keyframes every GOP.

import type { TsSource } from './source.js';
import { ContinuityCounters, patSection, pesPackets, pmtSection, psiPacket } from './ts-writer.js';

export const VIDEO_PID = 0x100;
export const PMT_PID = 0x1000;
const FPS = 25;
const PACKET = 188;

// A 320x240 baseline SPS/PPS and one grey IDR slice, as x264 encodes them: enough for ffprobe to
// identify the stream and for a player to show a first picture at each random access point.
const SPS = Buffer.from('6742c00ddc141fb011000003000100000300320f142b80', 'hex');
const PPS = Buffer.from('68ce0f2c80', 'hex');
const GREY_IDR = Buffer.from(
  [
    '65888404bc98a000202f272727272727272727272727272727272727275d75d75d75d75d75d75d75d75d75d75d75d75d',
    '75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d',
    '75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d',
    '75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d',
    '75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d75d780',
  ].join(''),
  'hex',
);
const START = Buffer.from([0, 0, 0, 1]);

function nal(body: Buffer): Buffer {
  return Buffer.concat([START, body]);
}

/** A filler-data NAL unit (type 12) of exactly `size` bytes including its start code. */
function filler(size: number): Buffer {
  if (size < 6) return Buffer.alloc(0);
  const out = Buffer.alloc(size, 0xff);
  START.copy(out);
  out[4] = 0x0c;
  out[size - 1] = 0x80;
  return out;
}

export interface SyntheticOptions {
  /** Bits per second of the whole TS output, probes included. */
  bitrate: number;
  /** Seconds between random access points. */
  gopSeconds: number;
  /** Bytes per second the pacer spends on other packets (probes), left out of the video. */
  overheadByteRate: number;
}

export class SyntheticSource implements TsSource {
  readonly byteRate: number;
  private readonly counters = new ContinuityCounters();
  private readonly framePackets: number;
  private frame = 0;
  private readonly gopFrames: number;
  private readonly pat = patSection(1, PMT_PID);
  private readonly pmt = pmtSection(1, VIDEO_PID, [{ streamType: 0x1b, pid: VIDEO_PID }]);
  private readonly keyPrefix: Buffer;
  private readonly deltaPrefix = nal(Buffer.from([0x09, 0x30]));

  constructor(options: SyntheticOptions) {
    this.byteRate = options.bitrate / 8;
    this.gopFrames = Math.max(1, Math.round(options.gopSeconds * FPS));
    const videoByteRate = this.byteRate - options.overheadByteRate;
    this.framePackets = Math.max(3, Math.floor(videoByteRate / FPS / PACKET));
    this.keyPrefix = Buffer.concat([nal(Buffer.from([0x09, 0x10])), nal(SPS), nal(PPS), nal(GREY_IDR)]);
  }

  nextFrame(): Buffer {
    const n = this.frame++;
    const key = n % this.gopFrames === 0;
    const packets: Buffer[] = [];
    if (n % 2 === 0) {
      packets.push(psiPacket(0, this.pat, this.counters.next(0)));
      packets.push(psiPacket(PMT_PID, this.pmt, this.counters.next(PMT_PID)));
    }
    // 90 kHz clock; DTS one frame behind PTS as with B-frame-free encoders that signal both.
    const pts = 90_000 + n * (90_000 / FPS);
    const dts = pts - 90_000 / FPS;
    const pcr = dts * 300;
    const budget = (this.framePackets - packets.length) * 184 - 30;
    const prefix = key ? this.keyPrefix : this.deltaPrefix;
    const es = Buffer.concat([prefix, filler(Math.max(0, budget - prefix.length))]);
    packets.push(pesPackets(es, { pid: VIDEO_PID, streamId: 0xe0, pts, dts, pcr, randomAccess: key }, this.counters));
    return Buffer.concat(packets);
  }
}
