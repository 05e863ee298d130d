// The grace period: a stream whose last player left is stopped after PROXY_GRACE_PERIOD unless one comes back.

import type { StreamId } from '@acestream-proxy/keys';

export class GraceTimers {
  private readonly timers = new Map<StreamId, NodeJS.Timeout>();

  constructor(private readonly graceMs: number) {}

  /** Runs `expire` after the grace period, unless cancelled; a second schedule keeps the first. */
  schedule(id: StreamId, expire: () => Promise<void>): void {
    if (this.timers.has(id)) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void expire();
    }, this.graceMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  cancel(id: StreamId): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
