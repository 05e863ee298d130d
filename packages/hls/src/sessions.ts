// HLS players as players: each session in the client registry (kind hls), kept alive by its requests.

import type { ClientInfo, ClientRegistry } from '@acestream-proxy/clients';
import type { StreamId } from '@acestream-proxy/keys';

/** What sessions need of stream membership (the stream package's StreamManager). */
export interface SessionStreams {
  /** Registers a player of stream `id`, starting the stream when nobody runs it. */
  register(id: StreamId, info: ClientInfo, options?: { beforeEngineStart?: () => Promise<void> }): Promise<void>;
  /** Makes sure stream `id` runs (an owner died: someone takes it over). */
  ensure(id: StreamId): Promise<void>;
}

/** Per client address player slots and new engine sessions (the gateway's ClientLimits). */
export interface SessionSlots {
  /** Takes a slot of `address` for `session`, held for `ttlMs` unless refreshed; rejects at the limit. */
  connectSession(address: string, session: string, ttlMs: number): Promise<void>;
  /** A session that never started: frees its slot before it expires. */
  releaseSession(address: string, session: string): void;
  refreshSessions(slots: ReadonlyArray<{ address: string; player: string; ttlMs: number }>): Promise<void>;
  /** The check before a new engine session for `address`; undefined when there is no limit. */
  startCheck(address: string, start: string): (() => Promise<void>) | undefined;
}

export interface SessionLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface HlsSessionsOptions {
  streams: SessionStreams;
  registry: Pick<ClientRegistry, 'heartbeat'>;
  /** A session holds one of its address's player slots, and may start an engine session. */
  limits: SessionSlots;
  workerId: string;
  /** A session without a request for this long has left (a few target durations), ms. */
  timeoutMs: number;
  /** How often this worker refreshes the records of the sessions it has seen, ms. */
  flushMs: number;
  logger: SessionLogger;
}

interface LocalSession {
  id: StreamId;
  sessionId: string;
  /** The address of its first request here: its player slot's. */
  ip: string;
  seenAt: number;
  /** When its registry record was last refreshed (or registered). */
  refreshedAt: number;
  bytesSent: number;
  /** The registration of this session on this worker (once per worker). */
  registered: Promise<void>;
}

export interface SessionRequest {
  ip: string;
  userAgent: string;
  /** The user's name when AUTH=token (kept on the session's client record). */
  user?: string;
}

/**
 * Requests of one session land on any worker. Each worker registers a session the first time it
 * sees it (which also starts the stream) and refreshes the records of the sessions it saw in one
 * registry call per flush, each at most every half timeout, not once per request; a record nobody
 * refreshes expires with its TTL and the owner's sweep stops counting it.
 */
export class HlsSessions {
  private readonly sessions = new Map<string, LocalSession>();
  /** When this worker last made sure each stream runs. */
  private readonly ensuredAt = new Map<StreamId, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: HlsSessionsOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  /** A request of session `sessionId`: registers it on first sight here, and keeps the stream running. */
  async seen(id: StreamId, sessionId: string, request: SessionRequest): Promise<void> {
    const { streams, limits, workerId, timeoutMs, logger } = this.options;
    const key = `${id}/${sessionId}`;
    const now = Date.now();
    let session = this.sessions.get(key);
    if (!session) {
      const info = {
        clientId: sessionId,
        kind: 'hls' as const,
        ttlMs: timeoutMs,
        ip: request.ip,
        userAgent: request.userAgent,
        workerId,
        connectedAt: now,
        ...(request.user === undefined ? {} : { user: request.user }),
      };
      // Its slot first: an address at its limit starts nothing. The same session seen on
      // another worker already holds it (refreshed, not counted again).
      const registered = limits.connectSession(request.ip, sessionId, timeoutMs).then(() =>
        streams.register(id, info, { beforeEngineStart: limits.startCheck(request.ip, sessionId) }).catch((err) => {
          limits.releaseSession(request.ip, sessionId);
          throw err;
        }),
      );
      session = { id, sessionId, ip: request.ip, seenAt: now, refreshedAt: now, bytesSent: 0, registered };
      this.sessions.set(key, session);
      this.ensuredAt.set(id, now);
      session.registered.then(
        () => logger.info('hls session seen', { stream_id: id, client_id: sessionId, worker_id: workerId }),
        () => this.sessions.delete(key),
      );
    } else {
      session.seenAt = now;
      // The owner may have died: a worker with no TS player of the stream would not notice
      // otherwise. Checked beside the request, not in its way.
      if (now - (this.ensuredAt.get(id) ?? 0) > 1000) {
        this.ensuredAt.set(id, now);
        streams
          .ensure(id)
          .catch((err) => logger.warn('hls stream check failed', { stream_id: id, error: (err as Error).message }));
      }
    }
    await session.registered;
  }

  sent(id: StreamId, sessionId: string, bytes: number): void {
    const session = this.sessions.get(`${id}/${sessionId}`);
    if (session) session.bytesSent += bytes;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async flush(): Promise<void> {
    const { registry, timeoutMs, logger } = this.options;
    const now = Date.now();
    const activity = [];
    const slots = [];
    for (const [key, s] of this.sessions) {
      if (now - s.seenAt > timeoutMs) {
        this.sessions.delete(key);
        continue;
      }
      // Refreshed at half the timeout: a record then outlives its session's last request by
      // between half the timeout and the whole of it, at one refresh per two target durations.
      if (s.seenAt <= s.refreshedAt || now - s.refreshedAt < timeoutMs / 2) continue;
      s.refreshedAt = now;
      activity.push({ streamId: s.id, clientId: s.sessionId, bytesSent: s.bytesSent, skips: 0, ttlMs: timeoutMs });
      slots.push({ address: s.ip, player: s.sessionId, ttlMs: timeoutMs });
    }
    for (const [id, at] of this.ensuredAt) if (now - at > timeoutMs) this.ensuredAt.delete(id);
    try {
      await Promise.all([registry.heartbeat(activity), this.options.limits.refreshSessions(slots)]);
    } catch (err) {
      logger.warn('hls session refresh failed', { error: (err as Error).message });
    }
  }
}
