// The EventQueue contract: at-least-once delivery with retries, and no stream_ended before its start.

import type { StreamEnded, StreamStarted } from './events.js';

export interface EventQueue {
  /** Queues stream_started for the stream session `key` (unique per session). */
  started(key: string, payload: StreamStarted): Promise<void>;
  /** Queues stream_ended for `key`; never delivered before that session's stream_started. */
  ended(key: string, payload: StreamEnded): Promise<void>;
  close(): Promise<void>;
}

/** Without ORCHESTRATOR_URL nothing is sent. */
export class NoopEventQueue implements EventQueue {
  async started(): Promise<void> {}
  async ended(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Delay before retry `attempt` (1, 2, ...): doubling from `baseMs`, never above `maxMs`. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface RetryOptions {
  /** First retry delay, ms. */
  baseMs: number;
  /** Longest delay between retries, ms: an orchestrator back from an outage hears from us soon. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 500, maxMs: 5000 };
