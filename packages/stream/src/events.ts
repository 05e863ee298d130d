// The stream lifecycle as typed events: what the status page's event log, metrics and logs hear about.

import type { Logger } from './logger.js';

/** Why an owned stream ended: grace period over, asked to, another worker owns it now, engine failed. */
export type EndReason = 'normal' | 'error' | 'fenced' | 'stopped';

/** Why the fanout let a player go: it kept falling out of the cache, or its socket stopped draining. */
export type DropReason = 'too slow' | 'stalled';

/** This worker opened the stream's engine session (a first start or a takeover). */
export interface StreamStarted {
  type: 'stream_started';
  stream_id: string;
  /** `host:port` of the engine. */
  engine: string;
  epoch: number;
}

/** This worker stopped a stream it owned: engine session, keys, players everywhere. */
export interface StreamStopped {
  type: 'stream_stopped';
  stream_id: string;
  reason: Exclude<EndReason, 'fenced'>;
  detail: string;
}

/** This worker learned another worker owns the stream now; it stopped reading without stopping the stream. */
export interface OwnerLost {
  type: 'owner_lost';
  stream_id: string;
  detail: string;
}

/** This worker took over a stream whose owner is gone (dead, or its claim expired). */
export interface OwnerTakeover {
  type: 'owner_takeover';
  stream_id: string;
  /** The owner it took over from; null when the claim had expired. */
  previous_owner: string | null;
  epoch: number;
}

/** The owner moved the stream to another engine after the one it read from failed. */
export interface EngineSwitched {
  type: 'engine_switched';
  stream_id: string;
  /** `host:port` of the engine left behind, and of the one moved to. */
  from: string;
  to: string;
  reason: string;
}

/** The fanout let a player go. */
export interface PlayerDropped {
  type: 'player_dropped';
  stream_id: string;
  client_id: string;
  reason: DropReason;
  /** Jumps to the live edge it needed (too slow). */
  skips: number;
  /** How long its socket had not drained, ms (stalled; 0 otherwise). */
  stalled_ms: number;
}

export type LifecycleEvent = StreamStarted | StreamStopped | OwnerLost | OwnerTakeover | EngineSwitched | PlayerDropped;

export type LifecycleListener = (event: LifecycleEvent) => void;

/**
 * A worker's stream lifecycle events: the stream package emits, the gateway subscribes. A
 * listener that throws is logged and does not stop the others (or the stream that emitted).
 */
export class StreamEvents {
  private readonly listeners = new Set<LifecycleListener>();

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` with every event from now on; returns its unsubscribe. */
  on(listener: LifecycleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LifecycleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn('a lifecycle event listener failed', { event: event.type, error: (err as Error).message });
      }
    }
  }
}
