// Reads a stream from its engine for as long as it is owned: reconnects, backoff, and moves to the next engine.

import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Chunker } from '@acestream-proxy/buffer';
import { type EngineClient, EngineError, type EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { TsAligner } from '@acestream-proxy/ts';
import type { StreamEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { WorkerStats } from '../stats.js';
import { engineFields, type MetadataMirror, sessionFields } from './metadata-mirror.js';
import { type ReadOutcome, readPlayback } from './playback-reader.js';
import { reconnectDelay } from './reconnect-backoff.js';

export interface EngineReaderSettings {
  /** Deadline for the engine's first byte of a session (PROXY_INIT_TIMEOUT), ms. */
  initTimeoutMs: number;
  /** Time without TS packets that counts as a dead engine mid-stream (PROXY_NO_DATA_TIMEOUT), ms. */
  noDataTimeoutMs: number;
  /** Largest piece read from the engine at once (PROXY_CHUNK_SIZE), bytes. */
  readChunkSize: number;
  /** Reconnects tried on one engine before moving to the next (PROXY_MAX_RETRIES). */
  maxRetries: number;
  /** Wait after a fruitless attempt on an engine before the next (PROXY_RECONNECT_BACKOFF_MS); doubles per one in a row. */
  reconnectBackoffMs: number;
}

export interface EngineReaderOptions {
  id: StreamId;
  settings: EngineReaderSettings;
  /** Where the whole TS packets go. */
  chunker: Chunker;
  mirror: MetadataMirror;
  stats: WorkerStats;
  events: StreamEvents;
  logger: Logger;
  /** Aborted when the stream ends: reading, waits and engine calls stop. */
  signal: AbortSignal;
  /** The engine to move to after `maxRetries` failures on `current`; null when there is none. */
  nextEngine?: (current: EngineClient) => Promise<EngineClient | null>;
  /**
   * The engine did not answer its API in time or refused connections: the owner leaves it out of
   * new streams until it answers again, and stops `abandoned` (the session left on it) then.
   */
  onEngineUnreachable?: (engine: EngineClient, abandoned: EngineSession | null) => void;
  /** A session ended (before the next one starts). */
  onSessionEnded(): void;
  /** No engine is left to move to: the stream fails with `message`. */
  onGiveUp(message: string): void;
}

/** Failures that say the engine itself is gone or frozen, not just this session. */
function engineDown(err: unknown): boolean {
  return err instanceof EngineError && (err.code === 'engine_timeout' || err.code === 'engine_unreachable');
}

/** A session that delivered this long was healthy: failures before it no longer count. */
const HEALTHY_RUN_MS = 30_000;

export class EngineReader {
  session: EngineSession | null = null;
  /** Bytes read from engines, all sessions. */
  totalBytes = 0;
  private readonly aligner = new TsAligner();
  /** When the engine was last asked for a session (0 once its first byte came), for the histogram. */
  private sessionAskedAt = 0;

  constructor(
    /** The engine read from (it changes when the stream moves to the next engine). */
    public engine: EngineClient,
    private readonly options: EngineReaderOptions,
  ) {}

  /** Opens the first session; rejects with the engine's EngineError. */
  async open(): Promise<EngineSession> {
    this.sessionAskedAt = performance.now();
    this.session = await this.engine.startSession(this.options.id, this.options.signal);
    return this.session;
  }

  /** Reads sessions one after another until the signal aborts or no engine is left (`onGiveUp`). */
  async read(): Promise<void> {
    const { settings, logger, id, signal, stats, mirror } = this.options;
    let failures = 0;
    // Attempts in a row that delivered nothing (refused, or no packets): each waits longer before
    // the next. A session that delivered is reconnected at once: that is a hiccup, not a refusal.
    let fruitless = 0;
    while (!signal.aborted) {
      const outcome = await this.readSession(this.session!);
      this.options.onSessionEnded();
      if (signal.aborted) break;
      if (outcome.servedMs > HEALTHY_RUN_MS) failures = 0;
      failures++;
      fruitless = outcome.servedMs > 0 ? 0 : fruitless + 1;
      logger.warn('engine stream interrupted', {
        stream_id: id,
        reason: outcome.detail,
        attempt: failures,
        engine: this.engineId,
      });
      // Keep reconnecting until a session delivers again; after maxRetries, on the next engine.
      // An engine whose API does not answer (frozen, overloaded) or refuses connections is not
      // retried: the stream moves at once, if there is another engine to move to.
      let detail = outcome.detail;
      let down = false;
      for (;;) {
        let moved = false;
        if (down && failures <= settings.maxRetries) {
          moved = await this.switchEngine(detail, { engineDown: true, failIfNone: false });
        } else if (failures > settings.maxRetries) {
          if (!(await this.switchEngine(detail, { engineDown: down, failIfNone: true }))) return;
          moved = true;
        }
        if (moved) failures = fruitless = 0;
        down = false;
        if (signal.aborted) return;
        await mirror.setState('connecting');
        // A new engine is asked at once; the same one, after what it refused, after a backoff.
        const waitMs = reconnectDelay(fruitless, settings.reconnectBackoffMs);
        if (waitMs > 0 && !(await sleep(waitMs, true, { signal }).catch(() => false))) return;
        try {
          stats.engineReconnects++;
          // A new player id makes the engine drop the old session, as it would for a new player.
          this.sessionAskedAt = performance.now();
          this.session = await this.engine.startSession(id, signal);
          await mirror.write(sessionFields(this.session));
          break;
        } catch (err) {
          if (signal.aborted) return;
          detail = err instanceof EngineError ? err.message : String(err);
          down = engineDown(err);
          logger.warn('engine reconnect failed', { stream_id: id, reason: detail, engine_down: down });
          failures++;
          fruitless++;
        }
      }
    }
  }

  /** Asks the engine to stop the session read last (bounded by the engine client's timeout). */
  async stopSession(): Promise<void> {
    if (!this.session) return;
    try {
      await this.engine.stopSession(this.session);
    } catch (err) {
      this.options.logger.warn('engine stop failed', { stream_id: this.options.id, error: (err as Error).message });
    }
  }

  get engineId(): string {
    return engineFields(this.engine).engine_id!;
  }

  /**
   * Moves to the next engine. With none to move to: the stream fails (`failIfNone`), or stays
   * on this engine to be retried; returns whether it moved.
   */
  private async switchEngine(detail: string, how: { engineDown: boolean; failIfNone: boolean }): Promise<boolean> {
    const { id, logger, settings } = this.options;
    const previous = this.engine;
    const abandoned = this.session;
    // Left out of selection before the next engine is chosen, so a frozen one is not chosen again.
    if (how.engineDown) this.options.onEngineUnreachable?.(previous, abandoned);
    let next: EngineClient | null = null;
    try {
      next = (await this.options.nextEngine?.(previous)) ?? null;
    } catch (err) {
      logger.warn('could not choose another engine', { stream_id: id, error: (err as Error).message });
    }
    if (!next) {
      if (how.failIfNone) this.options.onGiveUp(`engine stream failed ${settings.maxRetries + 1} times, last: ${detail}`);
      return false;
    }
    const from = this.engineId;
    logger.warn('moving the stream to another engine', { stream_id: id, from, reason: detail });
    // A frozen engine would hold the move for the whole API deadline: its session is stopped
    // once it answers again (onEngineUnreachable), not now.
    if (!how.engineDown) await this.stopSession();
    this.engine = next;
    this.options.stats.engineSwitches++;
    this.options.events.emit({ type: 'engine_switched', stream_id: id, from, to: this.engineId, reason: detail });
    await this.options.mirror
      .write(engineFields(next))
      .catch((err: Error) => logger.warn('metadata update failed', { stream_id: id, error: err.message }));
    return true;
  }

  /** Reads one playback response until it ends, fails, or goes without TS packets too long. */
  private async readSession(session: EngineSession): Promise<ReadOutcome> {
    const { settings, stats, signal, chunker, mirror } = this.options;
    const readAbort = new AbortController();
    const onStop = () => readAbort.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      let res: IncomingMessage;
      try {
        res = await this.engine.openPlayback(session, readAbort.signal, { highWaterMark: settings.readChunkSize });
      } catch (err) {
        return { kind: 'failed', detail: err instanceof Error ? err.message : String(err), servedMs: 0 };
      }
      await mirror.setState('buffering');
      return await readPlayback(res, {
        ...settings,
        aligner: this.aligner,
        onRead: (piece) => {
          this.totalBytes += piece.length;
          stats.engineBytes += piece.length;
        },
        onFirstPackets: () => {
          if (this.sessionAskedAt) stats.timings.engineStart((performance.now() - this.sessionAskedAt) / 1000);
          this.sessionAskedAt = 0;
          void mirror.setState('active');
        },
        onPackets: (packets) => chunker.push(packets),
      });
    } finally {
      signal.removeEventListener('abort', onStop);
      chunker.flush();
    }
  }
}
