// Owner side of one stream: engine session -> aligner -> chunker -> ChunkStore, with reconnects.

import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Chunker, type ChunkStore, type Fence } from '@acestream-proxy/buffer';
import { type EngineClient, EngineError, type EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { TsAligner } from '@acestream-proxy/ts';
import type { Logger } from './logger.js';
import type { MetadataStore, StreamState } from './metadata.js';
import { type ReadOutcome, readPlayback } from './playback-reader.js';
import { reconnectDelay } from './reconnect-backoff.js';
import type { WorkerStats } from './stats.js';

export interface OwnedStreamSettings {
  bufferChunkSize: number;
  flushIntervalMs: number;
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
  /** How often the engine's stat_url is polled into the metadata (peers, speed). */
  statIntervalMs: number;
  /** How long a chunk stays in the buffer (PROXY_BUFFER_TTL), ms. */
  bufferTtlMs: number;
}

/** Watches the chunks an owner appends, in index order (the HLS segmenter, DESIGN §13). */
export interface ChunkObserver {
  /** Before the first chunk (reads what an earlier owner left). */
  open(): Promise<void>;
  appended(index: number, chunk: Buffer): void;
  /** What follows is not continuous with what came before: a new engine session. */
  discontinuity(): void;
  close(): void;
}

/** normal: grace period over; stopped: asked to; fenced: another worker owns it now; error: engine failed. */
export type EndReason = 'normal' | 'error' | 'fenced' | 'stopped';

export interface OwnedStreamOptions {
  id: StreamId;
  workerId: string;
  engine: EngineClient;
  store: ChunkStore;
  metadata: MetadataStore;
  settings: OwnedStreamSettings;
  stats: WorkerStats;
  logger: Logger;
  fence?: Fence;
  /** Called once when reading ends for good (not on reconnects). */
  onEnd: (reason: EndReason, message: string) => void;
  /** Told of every chunk appended and of every new engine session after the first. */
  observer?: ChunkObserver;
  /** The engine to move to after `maxRetries` failures on `current`; null when there is none. */
  nextEngine?: (current: EngineClient) => Promise<EngineClient | null>;
  /**
   * The engine did not answer its API in time or refused connections: the owner leaves it out of
   * new streams until it answers again, and stops `abandoned` (the session left on it) then.
   */
  onEngineUnreachable?: (engine: EngineClient, abandoned: EngineSession | null) => void;
  /**
   * An append was refused as fenced: the owner checks whether ownership can be claimed back (Redis
   * lost it); the new token, or null when another worker owns the stream now.
   */
  claimBack?: () => Promise<Fence | null>;
}

/** Failures that say the engine itself is gone or frozen, not just this session. */
function engineDown(err: unknown): boolean {
  return err instanceof EngineError && (err.code === 'engine_timeout' || err.code === 'engine_unreachable');
}

/** A session that delivered this long was healthy: failures before it no longer count. */
const HEALTHY_RUN_MS = 30_000;

/**
 * While Redis is away each append waits through reconnects. Once the oldest waiting append is
 * this old, new chunks are dropped rather than queued (memory stays flat however long the
 * outage; a live chunk that late is of no use to a player). A busy but working store never
 * makes an append wait this long, so no chunk is dropped outside an outage.
 */
const MAX_APPEND_WAIT_MS = 3000;

export class OwnedStream {
  state: StreamState = 'initializing';
  session: EngineSession | null = null;
  totalBytes = 0;
  private readonly abort = new AbortController();
  private readonly aligner = new TsAligner();
  private readonly chunker: Chunker;
  private nextIndex = 1;
  private appending: Promise<void> = Promise.resolve();
  /** When each append still waiting was queued, oldest first. */
  private readonly pendingSince: number[] = [];
  private droppedChunks = 0;
  /** The ownership token appends carry; renewed by `resume` after Redis lost it. */
  private fence: Fence | undefined;
  /** Chunks this owner appended, oldest first, until they leave the buffer's time window. */
  private readonly appended: Array<{ index: number; at: number }> = [];
  private reading: Promise<void> | null = null;
  private ended = false;
  private engine: EngineClient;
  private statTimer: NodeJS.Timeout | null = null;
  /** When the engine was last asked for a session (0 once its first byte came), for the histogram. */
  private sessionAskedAt = 0;

  constructor(private readonly options: OwnedStreamOptions) {
    this.engine = options.engine;
    this.fence = options.fence;
    this.chunker = new Chunker({
      maxBytes: options.settings.bufferChunkSize,
      flushIntervalMs: options.settings.flushIntervalMs,
      onChunk: (chunk) => this.enqueueAppend(chunk),
    });
  }

  get id(): StreamId {
    return this.options.id;
  }

  /**
   * Opens the engine session. Resolves once the engine accepted it (the player can be answered
   * 200 and kept alive while the engine prebuffers); rejects with the engine's EngineError.
   */
  /** The engine currently read from (it changes when the stream moves to the next engine). */
  get currentEngine(): EngineClient {
    return this.engine;
  }

  async start(): Promise<void> {
    const { id, metadata, store, workerId } = this.options;
    await metadata.update(id, { state: 'initializing', owner: workerId, started_at: String(Date.now()), ...this.engineFields() });
    this.nextIndex = (await store.lastIndex(id)) + 1;
    this.sessionAskedAt = performance.now();
    await this.options.observer?.open();
    this.session = await this.engine.startSession(id, this.abort.signal);
    await this.setState('connecting', this.sessionFields(this.session));
    this.statTimer = setInterval(() => void this.pollStat(), this.options.settings.statIntervalMs);
    this.statTimer.unref();
    this.reading = this.readLoop();
  }

  /** Ends reading and asks the engine to stop its session (bounded by the engine client's timeout). */
  async stop(reason: EndReason = 'stopped'): Promise<void> {
    this.finish(reason, 'stopped by the proxy');
    await this.reading?.catch(() => {});
    await this.appending;
    // After a fence the next owner runs its own engine session; leave it alone.
    if (reason !== 'fenced') await this.stopEngineSession();
  }

  private async readLoop(): Promise<void> {
    const { settings, logger, id } = this.options;
    let failures = 0;
    // Attempts in a row that delivered nothing (refused, or no packets): each waits longer before
    // the next. A session that delivered is reconnected at once: that is a hiccup, not a refusal.
    let fruitless = 0;
    while (!this.abort.signal.aborted) {
      const outcome = await this.readPlayback(this.session!);
      // Queued behind the appends of the session that just ended, before the next one's.
      this.appending = this.appending.then(() => this.options.observer?.discontinuity());
      if (this.abort.signal.aborted) break;
      if (outcome.servedMs > HEALTHY_RUN_MS) failures = 0;
      failures++;
      fruitless = outcome.servedMs > 0 ? 0 : fruitless + 1;
      logger.warn('engine stream interrupted', {
        reason: outcome.detail,
        attempt: failures,
        engine: this.engineFields().engine_id,
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
        if (this.abort.signal.aborted) return;
        await this.setState('connecting');
        // A new engine is asked at once; the same one, after what it refused, after a backoff.
        const waitMs = reconnectDelay(fruitless, settings.reconnectBackoffMs);
        if (waitMs > 0 && !(await sleep(waitMs, true, { signal: this.abort.signal }).catch(() => false))) return;
        try {
          this.options.stats.engineReconnects++;
          // A new player id makes the engine drop the old session, as it would for a new player.
          this.sessionAskedAt = performance.now();
          this.session = await this.engine.startSession(id, this.abort.signal);
          await this.options.metadata.update(id, this.sessionFields(this.session));
          break;
        } catch (err) {
          if (this.abort.signal.aborted) return;
          detail = err instanceof EngineError ? err.message : String(err);
          down = engineDown(err);
          logger.warn('engine reconnect failed', { reason: detail, engine_down: down });
          failures++;
          fruitless++;
        }
      }
    }
  }

  /**
   * Moves to the next engine. With none to move to: the stream fails (`failIfNone`), or stays
   * on this engine to be retried; returns whether it moved.
   */
  private async switchEngine(detail: string, how: { engineDown: boolean; failIfNone: boolean }): Promise<boolean> {
    const previous = this.engine;
    const abandoned = this.session;
    // Left out of selection before the next engine is chosen, so a frozen one is not chosen again.
    if (how.engineDown) this.options.onEngineUnreachable?.(previous, abandoned);
    const next = (await this.options.nextEngine?.(previous).catch(() => null)) ?? null;
    if (!next) {
      if (how.failIfNone) {
        this.finish('error', `engine stream failed ${this.options.settings.maxRetries + 1} times, last: ${detail}`);
      }
      return false;
    }
    this.options.logger.warn('moving the stream to another engine', { from: this.engineFields().engine_id, reason: detail });
    // A frozen engine would hold the move for the whole API deadline: its session is stopped
    // once it answers again (onEngineUnreachable), not now.
    if (!how.engineDown) await this.stopEngineSession();
    this.engine = next;
    this.options.stats.engineSwitches++;
    await this.options.metadata.update(this.options.id, this.engineFields()).catch(() => {});
    return true;
  }

  private async pollStat(): Promise<void> {
    if (!this.session || this.state !== 'active') return;
    try {
      const stat = await this.engine.stat(this.session, this.abort.signal);
      await this.options.metadata.update(this.options.id, {
        peers: String(stat.peers),
        speed_down: String(stat.speedDown),
        total_bytes: String(this.totalBytes),
      });
    } catch (err) {
      this.options.logger.debug('stat poll failed', { error: (err as Error).message });
    }
  }

  /** Reads one playback response until it ends, fails, or goes without TS packets too long. */
  private async readPlayback(session: EngineSession): Promise<ReadOutcome> {
    const { settings, stats } = this.options;
    const readAbort = new AbortController();
    const onStop = () => readAbort.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    try {
      let res: IncomingMessage;
      try {
        res = await this.engine.openPlayback(session, readAbort.signal, { highWaterMark: settings.readChunkSize });
      } catch (err) {
        return { kind: 'failed', detail: err instanceof Error ? err.message : String(err), servedMs: 0 };
      }
      await this.setState('buffering');
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
          void this.setState('active');
        },
        onPackets: (packets) => this.chunker.push(packets),
      });
    } finally {
      this.abort.signal.removeEventListener('abort', onStop);
      this.chunker.flush();
    }
  }

  /**
   * Ownership was claimed again after Redis lost it (restarted empty, or the key expired during
   * an outage): carry on with the new token, and put back the metadata and the buffer index, so
   * indexes keep increasing for the workers that serve this stream's players.
   */
  async resume(fence: Fence, extra: Record<string, string> = {}): Promise<void> {
    const { id, metadata, store, workerId } = this.options;
    this.fence = fence;
    // Stopping: its keys are being deleted, and must not be written back.
    if (this.ended) return;
    await metadata.update(id, {
      state: this.state,
      owner: workerId,
      ...this.engineFields(),
      ...(this.session ? this.sessionFields(this.session) : {}),
      total_bytes: String(this.totalBytes),
      ...extra,
    });
    await store.restoreIndex(id, this.nextIndex - 1);
  }

  // Appends run one after another: indexes must reach the store in order.
  private enqueueAppend(chunk: Buffer): void {
    const now = Date.now();
    if (this.pendingSince.length > 0 && now - this.pendingSince[0]! > MAX_APPEND_WAIT_MS) {
      if (this.droppedChunks++ === 0) {
        this.options.logger.warn('the buffer does not take chunks (Redis away?): dropping them until it does');
      }
      return;
    }
    this.pendingSince.push(now);
    this.appending = this.appending.then(() => this.append(chunk)).finally(() => this.pendingSince.shift());
  }

  private async append(chunk: Buffer): Promise<void> {
    const { store, id, logger, settings } = this.options;
    const fence = this.fence;
    const now = Date.now();
    let expired: number | undefined;
    while (this.appended.length > 0 && this.appended[0]!.at <= now - settings.bufferTtlMs) expired = this.appended.shift()!.index;
    try {
      let result = await store.append(id, this.nextIndex, chunk, fence, expired);
      if (result === 'conflict') {
        // Someone else moved the index (a previous owner's last append): continue after it.
        this.nextIndex = (await store.lastIndex(id)) + 1;
        result = await store.append(id, this.nextIndex, chunk, fence, expired);
      }
      if (result === 'fenced') {
        // `claimBack` resumes this stream (token, metadata, index) when it succeeds.
        const fence = (await this.options.claimBack?.()) ?? null;
        if (fence) result = await store.append(id, this.nextIndex, chunk, fence, expired);
      }
      if (result === 'fenced') {
        this.finish('fenced', 'another worker owns this stream now');
        return;
      }
      if (result === 'ok') {
        this.options.observer?.appended(this.nextIndex, chunk);
        this.appended.push({ index: this.nextIndex++, at: now });
        this.options.stats.chunksAppended++;
        if (this.droppedChunks > 0) {
          logger.info('the buffer takes chunks again', { dropped_chunks: this.droppedChunks });
          this.droppedChunks = 0;
        }
      }
    } catch (err) {
      logger.error('chunk append failed', { error: (err as Error).message, index: this.nextIndex });
    }
  }

  private finish(reason: EndReason, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    if (this.statTimer) clearInterval(this.statTimer);
    this.chunker.flush();
    this.chunker.close();
    void this.appending.then(() => this.options.observer?.close());
    this.state = reason === 'error' ? 'error' : 'stopping';
    this.options.logger.info('stream reader ended', { reason, detail: message });
    this.options.onEnd(reason, message);
  }

  private async stopEngineSession(): Promise<void> {
    if (!this.session) return;
    try {
      await this.engine.stopSession(this.session);
    } catch (err) {
      this.options.logger.warn('engine stop failed', { error: (err as Error).message });
    }
  }

  private async setState(state: StreamState, extra: Record<string, string> = {}): Promise<void> {
    if (this.ended) return;
    this.state = state;
    try {
      await this.options.metadata.update(this.options.id, { state, ...extra });
    } catch (err) {
      this.options.logger.warn('metadata update failed', { error: (err as Error).message });
    }
  }

  private engineFields(): Record<string, string> {
    const { host, port } = this.engine.address;
    return { engine_host: host, engine_port: String(port), engine_id: `${host}:${port}` };
  }

  private sessionFields(session: EngineSession): Record<string, string> {
    return {
      playback_url: session.playbackUrl,
      stat_url: session.statUrl,
      command_url: session.commandUrl,
      playback_session_id: session.playbackSessionId,
      is_live: session.isLive ? '1' : '0',
    };
  }
}
