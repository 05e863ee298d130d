// The cluster's event log for the status page: stream started/stopped, takeovers, engine switches,
// players dropped and why. Fed from the stream package's typed lifecycle events (entryOf below).

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import type { LifecycleEvent, StreamEvents } from '@acestream-proxy/stream';

export type EventKind =
  | 'stream_started'
  | 'stream_stopped'
  | 'owner_lost'
  | 'owner_takeover'
  | 'engine_switch'
  | 'player_dropped';

export interface LogEntry {
  /** Epoch ms. */
  at: number;
  kind: EventKind;
  stream_id: string | null;
  worker: string;
  detail: string;
}

/** Entries kept cluster-wide: enough for a screen, small enough to send every second. */
export const LOG_LENGTH = 50;

export interface EventLog {
  record(entry: Omit<LogEntry, 'at' | 'worker'>): void;
  /** Newest first. */
  recent(): Promise<LogEntry[]>;
}

export class MemoryEventLog implements EventLog {
  private readonly entries: LogEntry[] = [];
  constructor(private readonly workerId: string) {}

  record(entry: Omit<LogEntry, 'at' | 'worker'>): void {
    this.entries.unshift({ at: Date.now(), worker: this.workerId, ...entry });
    this.entries.length = Math.min(this.entries.length, LOG_LENGTH);
  }

  async recent(): Promise<LogEntry[]> {
    return [...this.entries];
  }
}

/** One capped list for the cluster: LPUSH + LTRIM per event, LRANGE per status tick. */
export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly workerId: string,
  ) {}

  record(entry: Omit<LogEntry, 'at' | 'worker'>): void {
    const json = JSON.stringify({ at: Date.now(), worker: this.workerId, ...entry });
    const key = this.keys.eventLog();
    // The log is for people watching: an event lost in a Redis outage is not worth a retry.
    void this.redis
      .multi()
      .lpush(key, json)
      .ltrim(key, 0, LOG_LENGTH - 1)
      .exec()
      .catch(() => {});
  }

  async recent(): Promise<LogEntry[]> {
    const raw = await this.redis.lrange(this.keys.eventLog(), 0, LOG_LENGTH - 1);
    return raw.flatMap((json) => {
      try {
        return [JSON.parse(json) as LogEntry];
      } catch {
        return [];
      }
    });
  }
}

/** What the status page says of a lifecycle event. */
export function entryOf(event: LifecycleEvent): Omit<LogEntry, 'at' | 'worker'> {
  const stream_id = event.stream_id;
  switch (event.type) {
    case 'stream_started':
      return { kind: 'stream_started', stream_id, detail: `engine ${event.engine}` };
    case 'stream_stopped':
      return { kind: 'stream_stopped', stream_id, detail: `${event.reason}: ${event.detail}` };
    case 'owner_lost':
      return { kind: 'owner_lost', stream_id, detail: event.detail };
    case 'owner_takeover':
      return { kind: 'owner_takeover', stream_id, detail: `from ${event.previous_owner ?? 'nobody'}` };
    case 'engine_switched':
      return { kind: 'engine_switch', stream_id, detail: `away from ${event.from}: ${event.reason}` };
    case 'player_dropped':
      return {
        kind: 'player_dropped',
        stream_id,
        detail:
          event.reason === 'too slow'
            ? `player ${event.client_id} too slow (${event.skips} jumps to the live edge)`
            : `player ${event.client_id} stalled (no read for ${Math.round(event.stalled_ms / 1000)} s)`,
      };
  }
}

/** Records every lifecycle event of `events` in `log`; returns the unsubscribe. */
export function recordLifecycle(events: StreamEvents, log: EventLog): () => void {
  return events.on((event) => log.record(entryOf(event)));
}
