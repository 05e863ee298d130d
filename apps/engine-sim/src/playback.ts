// Paces a source onto one reader's response in real time, with probes, faults and backpressure.

import type { ServerResponse } from 'node:http';
import { encodeProbe, PROBE_PID } from './probe.js';
import type { Session } from './sessions.js';
import type { TsSource } from './source.js';

const TICK_MS = 10;

/**
 * What the `garbage_after_s` fault sends: an error page, as a broken engine or a captive portal
 * in front of one would. It holds no 0x47 byte, so no TS sync can be found in it.
 */
const GARBAGE = Buffer.from('<html><head><title>503 Service Unavailable</title></head><body>busy</body></html>\n'.repeat(64));
if (GARBAGE.includes(0x47)) throw new Error('the garbage page must hold no TS sync byte');
/** A probe at most this often: enough resolution for loss and latency, little overhead. */
export const PROBE_INTERVAL_MS = 20;
export const PROBE_BYTE_RATE = (188 * 1000) / PROBE_INTERVAL_MS;

export interface PlaybackOptions {
  res: ServerResponse;
  session: Session;
  source: TsSource;
  /** Called when an EOF fault ends the stream. */
  onEof: () => void;
  /** True while the whole engine hangs: nothing is sent, the connection stays open. */
  frozen?: () => boolean;
}

export class Playback {
  private timer: NodeJS.Timeout | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private sent = 0;
  private pending: Buffer = Buffer.alloc(0);
  private probeSeq = 0;
  private probeCc = 0;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  private blockedSince: number | null = null;
  private readonly byteRate: number;

  constructor(private readonly options: PlaybackOptions) {
    this.byteRate = options.source.byteRate;
    options.res.once('close', () => this.stop());
  }

  start(): void {
    const delay = this.options.session.faults.prebuffer_ms ?? 0;
    this.startTimer = setTimeout(() => {
      this.startedAt = performance.now();
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.tick();
    }, delay);
  }

  stop(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const { res, session } = this.options;
    const now = performance.now();
    const elapsedS = (now - this.startedAt) / 1000;
    const { eof_after_s: eofAfter, stall_after_s: stallAfter } = session.faults;
    if (eofAfter !== undefined && elapsedS >= eofAfter) {
      this.stop();
      res.end();
      this.options.onEof();
      return;
    }
    if (stallAfter !== undefined && elapsedS >= stallAfter) return;
    const garbageAfter = session.faults.garbage_after_s;
    const garbage = garbageAfter !== undefined && elapsedS >= garbageAfter;
    // A reader that does not keep up (or a frozen engine) holds the clock back instead of
    // queueing without bound.
    if (res.writableNeedDrain || this.options.frozen?.()) {
      this.blockedSince ??= now;
      return;
    }
    if (this.blockedSince !== null) {
      this.startedAt += now - this.blockedSince;
      this.blockedSince = null;
    }
    let due = Math.floor((((now - this.startedAt) / 1000) * this.byteRate - this.sent) / 188) * 188;
    if (due < 188) return;
    if (garbage) {
      const out = GARBAGE.subarray(0, Math.min(due, GARBAGE.length));
      this.sent += due;
      session.bytesSent += out.length;
      res.write(out);
      return;
    }
    const parts: Buffer[] = [];
    if (now - this.lastProbeAt >= PROBE_INTERVAL_MS) {
      this.lastProbeAt = now;
      const probe = {
        seq: this.probeSeq++,
        sentAt: performance.timeOrigin + now,
        bytesBefore: session.bytesSent,
        session: session.number,
      };
      parts.push(encodeProbe(probe, this.probeCc++ & 0x0f));
      due -= 188;
    }
    while (this.pending.length < due) this.pending = Buffer.concat([this.pending, this.options.source.nextFrame()]);
    parts.push(this.pending.subarray(0, due));
    this.pending = this.pending.subarray(due);
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.sent += out.length;
    session.bytesSent += out.length;
    res.write(out);
  }
}

export { PROBE_PID };
