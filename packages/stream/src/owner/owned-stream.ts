// Owner side of one stream: engine reader -> chunker -> append queue, with the metadata mirror beside.

import type { ChunkStore } from '@acestream-proxy/buffer';
import { Chunker } from '@acestream-proxy/buffer';
import type { EngineClient, EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { EndReason, StreamEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { MetadataStore, StreamState } from '../metadata.js';
import type { WorkerStats } from '../stats.js';
import { AppendQueue, type ChunkObserver, type FenceHolder } from './append-queue.js';
import { EngineReader, type EngineReaderSettings } from './engine-reader.js';
import { engineFields, MetadataMirror, sessionFields } from './metadata-mirror.js';

export interface OwnedStreamSettings extends EngineReaderSettings {
  bufferChunkSize: number;
  flushIntervalMs: number;
  /** How often the engine's stat_url is polled into the metadata (peers, speed). */
  statIntervalMs: number;
  /** How long a chunk stays in the buffer (PROXY_BUFFER_TTL), ms. */
  bufferTtlMs: number;
}

export interface OwnedStreamOptions {
  id: StreamId;
  workerId: string;
  engine: EngineClient;
  store: ChunkStore;
  metadata: MetadataStore;
  settings: OwnedStreamSettings;
  stats: WorkerStats;
  events: StreamEvents;
  logger: Logger;
  /** The token appends carry, and the way to claim the stream back (see Ownership). */
  ownership: FenceHolder;
  /** Called once when reading ends for good (not on reconnects). */
  onEnd: (reason: EndReason, message: string) => void;
  /** Told of every chunk appended and of every new engine session after the first. */
  observer?: ChunkObserver;
  /** See EngineReaderOptions. */
  nextEngine?: (current: EngineClient) => Promise<EngineClient | null>;
  onEngineUnreachable?: (engine: EngineClient, abandoned: EngineSession | null) => void;
}

export class OwnedStream {
  private readonly abort = new AbortController();
  private readonly chunker: Chunker;
  private readonly appends: AppendQueue;
  private readonly mirror: MetadataMirror;
  private readonly reader: EngineReader;
  private reading: Promise<void> | null = null;
  private statTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: OwnedStreamOptions) {
    const { id, store, metadata, settings, stats, events, logger, ownership, observer } = options;
    this.mirror = new MetadataMirror(id, metadata, logger);
    this.appends = new AppendQueue({
      id,
      store,
      ownership,
      bufferTtlMs: settings.bufferTtlMs,
      stats,
      logger,
      observer,
      onFenced: () => this.finish('fenced', 'another worker owns this stream now'),
    });
    this.chunker = new Chunker({
      maxBytes: settings.bufferChunkSize,
      flushIntervalMs: settings.flushIntervalMs,
      onChunk: (chunk) => this.appends.enqueue(chunk),
    });
    this.reader = new EngineReader(options.engine, {
      id,
      settings,
      chunker: this.chunker,
      mirror: this.mirror,
      stats,
      events,
      logger,
      signal: this.abort.signal,
      nextEngine: options.nextEngine,
      onEngineUnreachable: options.onEngineUnreachable,
      // Queued behind the appends of the session that just ended, before the next one's.
      onSessionEnded: () => this.appends.discontinuity(),
      onGiveUp: (message) => this.finish('error', message),
    });
  }

  get id(): StreamId {
    return this.options.id;
  }

  get state(): StreamState {
    return this.mirror.state;
  }

  get session(): EngineSession | null {
    return this.reader.session;
  }

  get totalBytes(): number {
    return this.reader.totalBytes;
  }

  /** The engine currently read from (it changes when the stream moves to the next engine). */
  get currentEngine(): EngineClient {
    return this.reader.engine;
  }

  /**
   * Opens the engine session. Resolves once the engine accepted it (the player can be answered
   * 200 and kept alive while the engine prebuffers); rejects with the engine's EngineError.
   */
  async start(): Promise<void> {
    const { workerId } = this.options;
    await this.mirror.write({
      state: 'initializing',
      owner: workerId,
      started_at: String(Date.now()),
      ...engineFields(this.reader.engine),
    });
    await this.appends.open();
    const session = await this.reader.open();
    await this.mirror.setState('connecting', sessionFields(session));
    this.statTimer = setInterval(
      () => void this.mirror.pollStat(this.reader.engine, this.reader.session, this.reader.totalBytes, this.abort.signal),
      this.options.settings.statIntervalMs,
    );
    this.statTimer.unref();
    this.reading = this.reader.read();
  }

  /** Ends reading and asks the engine to stop its session (bounded by the engine client's timeout). */
  async stop(reason: EndReason = 'stopped'): Promise<void> {
    this.finish(reason, 'stopped by the proxy');
    await this.reading?.catch((err: Error) =>
      this.options.logger.warn('engine reader failed', { stream_id: this.id, error: err.message }),
    );
    await this.appends.idle();
    // After a fence the next owner runs its own engine session; leave it alone.
    if (reason !== 'fenced') await this.reader.stopSession();
  }

  /**
   * The lease ran out with Redis unreachable: end reading at once and stop the engine session
   * (the engine still answers; another owner opens its own), without waiting for appends that
   * may hang on the cut link.
   */
  async abandon(): Promise<void> {
    this.finish('fenced', 'ownership lease ran out');
    await this.reader.stopSession();
  }

  /**
   * Ownership was claimed again after Redis lost it (restarted empty, or the key expired during
   * an outage): put back the metadata and the buffer index, so indexes keep increasing for the
   * workers that serve this stream's players.
   */
  async resume(extra: Record<string, string> = {}): Promise<void> {
    // Stopping: its keys are being deleted, and must not be written back.
    if (this.mirror.isEnded) return;
    const session = this.reader.session;
    await this.mirror.write({
      state: this.mirror.state,
      owner: this.options.workerId,
      ...engineFields(this.reader.engine),
      ...(session ? sessionFields(session) : {}),
      total_bytes: String(this.reader.totalBytes),
      ...extra,
    });
    await this.appends.restoreIndex();
  }

  private finish(reason: EndReason, message: string): void {
    if (this.mirror.isEnded) return;
    this.mirror.end(reason === 'error' ? 'error' : 'stopping');
    this.abort.abort();
    if (this.statTimer) clearInterval(this.statTimer);
    this.chunker.flush();
    this.chunker.close();
    this.appends.close();
    this.options.logger.info('stream reader ended', { stream_id: this.id, reason, detail: message });
    this.options.onEnd(reason, message);
  }
}
