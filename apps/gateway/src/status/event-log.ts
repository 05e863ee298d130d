// The cluster's event log for the status page: stream started/stopped, takeovers, engine switches,
// players dropped and why. Fed from the stream package's log lines (one table below).

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import type { Logger } from '@acestream-proxy/stream';

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

type Meta = Record<string, unknown>;

/** The stream package's log lines that make an event, and what the event says. */
const LOGGED_EVENTS: Record<string, (meta: Meta) => Omit<LogEntry, 'at' | 'worker' | 'stream_id'>> = {
  'stream started': (m) => ({ kind: 'stream_started', detail: `engine ${m.engine}` }),
  'stream stopped': (m) =>
    m.reason === 'fenced'
      ? { kind: 'owner_lost', detail: `${m.detail}` }
      : { kind: 'stream_stopped', detail: `${m.reason}: ${m.detail}` },
  'owner gone, taking the stream over': (m) => ({ kind: 'owner_takeover', detail: `from ${m.previous_owner ?? 'nobody'}` }),
  'moving the stream to another engine': (m) => ({ kind: 'engine_switch', detail: `away from ${m.from}: ${m.reason}` }),
  'dropping a client that cannot keep up': (m) => ({
    kind: 'player_dropped',
    detail: `player ${m.client_id} too slow (${m.skips} jumps to the live edge)`,
  }),
};

/** A logger that logs as `logger` does and records the lines of LOGGED_EVENTS in `log`. */
export function recordingEvents(logger: Logger, log: EventLog, bound: Meta = {}): Logger {
  const tee =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, meta?: Meta): unknown => {
      const event = LOGGED_EVENTS[message];
      if (event) {
        const all = { ...bound, ...meta };
        log.record({ stream_id: typeof all.stream_id === 'string' ? all.stream_id : null, ...event(all) });
      }
      return logger[level](message, meta);
    };
  return {
    error: tee('error'),
    warn: tee('warn'),
    info: tee('info'),
    debug: tee('debug'),
    child: (meta) => recordingEvents(logger.child(meta), log, { ...bound, ...meta }),
  };
}
