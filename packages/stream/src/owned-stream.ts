// Owner side of one stream: engine session -> aligner -> chunker -> ChunkStore, with reconnects.

import type { IncomingMessage } from 'node:http';
import { Chunker, type ChunkStore, type Fence } from '@acestream-proxy/buffer';
import { type EngineClient, EngineError, type EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { TsAligner } from '@acestream-proxy/ts';
import type { Logger } from './logger.js';
import type { MetadataStore, StreamState } from './metadata.js';

export interface OwnedStreamSettings {
  bufferChunkSize: number;
  flushIntervalMs: number;
  /** Deadline for the engine's first byte of a session (PROXY_INIT_TIMEOUT), ms. */
  initTimeoutMs: number;
  /** Silence that counts as a dead engine mid-stream (PROXY_NO_DATA_TIMEOUT), ms. */
  noDataTimeoutMs: number;
  /** Reconnects tried on one engine before giving up (PROXY_MAX_RETRIES). */
  maxRetries: number;
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
  logger: Logger;
  fence?: Fence;
  /** Called once when reading ends for good (not on reconnects). */
  onEnd: (reason: EndReason, message: string) => void;
}

/** Why a read of the playback URL ended. */
type ReadOutcome = { kind: 'ended' | 'timeout' | 'failed'; detail: string };

export class OwnedStream {
  state: StreamState = 'initializing';
  session: EngineSession | null = null;
  totalBytes = 0;
  private readonly abort = new AbortController();
  private readonly aligner = new TsAligner();
  private readonly chunker: Chunker;
  private nextIndex = 1;
  private appending: Promise<void> = Promise.resolve();
  private reading: Promise<void> | null = null;
  private ended = false;

  constructor(private readonly options: OwnedStreamOptions) {
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
  async start(): Promise<void> {
    const { id, engine, metadata, store, workerId } = this.options;
    await metadata.update(id, {
      state: 'initializing',
      owner: workerId,
      engine_host: engine.address.host,
      engine_port: String(engine.address.port),
      engine_id: `${engine.address.host}:${engine.address.port}`,
      started_at: String(Date.now()),
    });
    this.nextIndex = (await store.lastIndex(id)) + 1;
    this.session = await engine.startSession(id, this.abort.signal);
    await this.setState('connecting', this.sessionFields(this.session));
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
    const { settings, logger, engine, id } = this.options;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      const outcome = await this.readPlayback(this.session!);
      if (this.abort.signal.aborted) break;
      failures++;
      logger.warn('engine stream interrupted', { reason: outcome.detail, attempt: failures });
      if (failures > settings.maxRetries) {
        this.finish('error', `engine stream failed ${failures} times, last: ${outcome.detail}`);
        break;
      }
      try {
        await this.setState('connecting');
        // A new player id makes the engine drop the old session, as it would for a new player.
        this.session = await engine.startSession(id, this.abort.signal);
        await this.options.metadata.update(id, this.sessionFields(this.session));
      } catch (err) {
        if (this.abort.signal.aborted) break;
        const detail = err instanceof EngineError ? err.message : String(err);
        logger.warn('engine reconnect failed', { reason: detail });
        if (failures >= settings.maxRetries) {
          this.finish('error', `engine reconnect failed: ${detail}`);
          break;
        }
      }
    }
  }

  /** Reads one playback response until it ends, fails, or goes silent too long. */
  private async readPlayback(session: EngineSession): Promise<ReadOutcome> {
    const { engine, settings } = this.options;
    const readAbort = new AbortController();
    const onStop = () => readAbort.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let res: IncomingMessage;
    try {
      res = await engine.openPlayback(session, readAbort.signal);
    } catch (err) {
      this.abort.signal.removeEventListener('abort', onStop);
      return { kind: 'failed', detail: err instanceof Error ? err.message : String(err) };
    }
    await this.setState('buffering');
    return new Promise<ReadOutcome>((resolve) => {
      let gotData = false;
      let timer: NodeJS.Timeout;
      const armTimer = () => {
        clearTimeout(timer);
        const ms = gotData ? settings.noDataTimeoutMs : settings.initTimeoutMs;
        timer = setTimeout(() => done({ kind: 'timeout', detail: `no data from the engine for ${ms} ms` }), ms);
      };
      let settled = false;
      const done = (outcome: ReadOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onStop);
        res.removeAllListeners('data');
        res.destroy();
        this.chunker.flush();
        resolve(outcome);
      };
      armTimer();
      res.on('data', (data: Buffer) => {
        if (!gotData) {
          gotData = true;
          void this.setState('active');
        }
        armTimer();
        this.totalBytes += data.length;
        const packets = this.aligner.push(data);
        if (packets) this.chunker.push(packets);
      });
      res.once('end', () => done({ kind: 'ended', detail: 'the engine ended the stream' }));
      res.once('error', (err) => done({ kind: 'failed', detail: err.message }));
      res.once('close', () => done({ kind: 'ended', detail: 'the engine closed the connection' }));
    });
  }

  // Appends run one after another: indexes must reach the store in order.
  private enqueueAppend(chunk: Buffer): void {
    this.appending = this.appending.then(() => this.append(chunk));
  }

  private async append(chunk: Buffer): Promise<void> {
    const { store, id, fence, logger } = this.options;
    try {
      let result = await store.append(id, this.nextIndex, chunk, fence);
      if (result === 'conflict') {
        // Someone else moved the index (a previous owner's last append): continue after it.
        this.nextIndex = (await store.lastIndex(id)) + 1;
        result = await store.append(id, this.nextIndex, chunk, fence);
      }
      if (result === 'fenced') {
        this.finish('fenced', 'another worker owns this stream now');
        return;
      }
      if (result === 'ok') this.nextIndex++;
    } catch (err) {
      logger.error('chunk append failed', { error: (err as Error).message, index: this.nextIndex });
    }
  }

  private finish(reason: EndReason, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.chunker.flush();
    this.chunker.close();
    this.state = reason === 'error' ? 'error' : 'stopping';
    this.options.logger.info('stream reader ended', { reason, detail: message });
    this.options.onEnd(reason, message);
  }

  private async stopEngineSession(): Promise<void> {
    if (!this.session) return;
    try {
      await this.options.engine.stopSession(this.session);
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
