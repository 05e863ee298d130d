// EventQueue in process (embedded mode): timers retry each event until the orchestrator takes it.

import type { OrchestratorClient } from './client.js';
import type { OrchestratorEvent, StreamEnded, StreamStarted } from './events.js';
import { DEFAULT_RETRY, type EventQueue, type RetryOptions, retryDelay } from './queue.js';

export class MemoryEventQueue implements EventQueue {
  /** Delivery of each session's stream_started, so its stream_ended can wait for it. */
  private readonly starts = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly client: OrchestratorClient,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {}

  async started(key: string, payload: StreamStarted): Promise<void> {
    this.starts.set(key, this.track(this.deliver({ name: 'stream_started', payload })));
  }

  async ended(key: string, payload: StreamEnded): Promise<void> {
    const start = this.starts.get(key) ?? Promise.resolve();
    this.starts.delete(key);
    this.track(start.then(() => this.deliver({ name: 'stream_ended', payload })));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }

  private track(delivery: Promise<void>): Promise<void> {
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
    return delivery;
  }

  private async deliver(event: OrchestratorEvent): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        return await this.client.send(event);
      } catch {
        const delay = retryDelay(attempt, this.retry.baseMs, this.retry.maxMs);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }
}
