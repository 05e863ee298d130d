// Engines this worker should not start streams on for now: one that could not be reached is left
// out of selection until its version check answers again, so no player waits on a dead engine.

export interface EngineHealthOptions {
  /** Time between version checks of an engine that is down, ms. */
  retryMs: number;
}

interface Down {
  since: number;
  timer: NodeJS.Timeout;
  /** Run once the engine answers again (e.g. stopping a session abandoned on it). */
  onUp: Array<() => void>;
}

export class EngineHealth {
  private readonly down = new Map<string, Down>();
  private closed = false;

  constructor(private readonly options: EngineHealthOptions) {}

  isUp(engineId: string): boolean {
    return !this.down.has(engineId);
  }

  /** Engine ids that are down right now. */
  downIds(): string[] {
    return [...this.down.keys()];
  }

  /**
   * Leaves the engine out until `check` (its version call) succeeds; checks run every `retryMs`
   * in the background. Marking an engine that is already down changes nothing.
   */
  markDown(engineId: string, check: () => Promise<unknown>): void {
    if (this.closed || this.down.has(engineId)) return;
    const schedule = (): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        check().then(
          () => {
            const entry = this.down.get(engineId);
            this.down.delete(engineId);
            for (const task of entry?.onUp ?? []) task();
          },
          () => {
            const entry = this.down.get(engineId);
            if (entry && !this.closed) entry.timer = schedule();
          },
        );
      }, this.options.retryMs);
      timer.unref();
      return timer;
    };
    this.down.set(engineId, { since: Date.now(), timer: schedule(), onUp: [] });
  }

  /** Runs `task` once the engine is up: now if it is, else when its check answers. */
  whenUp(engineId: string, task: () => void): void {
    const entry = this.down.get(engineId);
    if (entry) entry.onUp.push(task);
    else if (!this.closed) task();
  }

  close(): void {
    this.closed = true;
    for (const { timer } of this.down.values()) clearTimeout(timer);
    this.down.clear();
  }
}
