// The status feed's watchers: one string sent to every open /proxy/events response, except to
// those that do not read it. A watcher that never reads would otherwise hold a copy of every
// snapshot in the worker's memory (six of them took a worker from 137 to 371 MB in 36 s).

import type { ServerResponse } from 'node:http';

export class Watchers {
  /** Each response, and since when its writes have waited to drain (0: they do not). */
  private readonly waiting = new Map<ServerResponse, number>();

  /**
   * @param stallMs A watcher whose writes have not drained for this long is dropped. Until then it
   * gets no new events: at most one waits in its buffer beside what the kernel holds.
   */
  constructor(private readonly stallMs: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Adds `res` until it closes; `onGone` runs after it is removed. */
  add(res: ServerResponse, onGone: () => void): void {
    this.waiting.set(res, 0);
    res.once('close', () => {
      this.waiting.delete(res);
      onGone();
    });
  }

  /** Writes `event` to every watcher that has drained, and drops those stalled too long. */
  send(event: string): void {
    const now = Date.now();
    for (const [res, since] of this.waiting) {
      if (since === 0 || !res.writableNeedDrain) {
        // A new wait starts when this write has to wait.
        this.waiting.set(res, res.write(event) ? 0 : now);
      } else if (now - since >= this.stallMs) {
        // Its 'close' handler removes it.
        res.destroy();
      }
    }
  }
}
