// One direction of a delayed link: bytes leave a fixed time (± jitter) after they came, in order.

import type { Socket } from 'node:net';

export interface DelaySpec {
  /** One-way delay; a round trip through the relay takes twice this. */
  ms: number;
  /** Each chunk's delay is `ms` ± up to this much, uniformly (never below the previous chunk's). */
  jitterMs?: number;
}

/** Bytes held at once before the sender is paused: enough for a bulk stream at a few Mbit/s. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * A timestamped queue between two sockets. Release times never decrease, so jitter spreads
 * chunks out without reordering them (as a real path without reordering would); an end of
 * stream is queued like data, so a half-close arrives after the bytes before it.
 */
export class DelayLine {
  private readonly queue: { at: number; chunk: Buffer | null }[] = [];
  private lastAt = 0;
  private held = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly spec: DelaySpec,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.push(null));
    to.on('drain', () => this.maybeResume());
  }

  private push(chunk: Buffer | null): void {
    const jitter = (this.spec.jitterMs ?? 0) * (2 * Math.random() - 1);
    const at = Math.max(this.lastAt, performance.now() + Math.max(0, this.spec.ms + jitter));
    this.lastAt = at;
    this.queue.push({ at, chunk });
    if (chunk) {
      this.held += chunk.length;
      if (this.held > HIGH_WATER) this.from.pause();
    }
    if (this.queue.length === 1) this.schedule();
  }

  private schedule(): void {
    const next = this.queue[0];
    if (!next || this.timer) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, next.at - performance.now()));
  }

  private release(): void {
    this.timer = null;
    // Timers fire up to a millisecond early or late: release everything that is due by now.
    const now = performance.now() + 0.5;
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { chunk } = this.queue.shift()!;
      if (chunk === null) {
        this.to.end();
        continue;
      }
      this.held -= chunk.length;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    this.maybeResume();
    this.schedule();
  }

  private maybeResume(): void {
    if (this.from.isPaused() && this.held + this.to.writableLength < HIGH_WATER / 2) this.from.resume();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}
