// The owner's appends of a stream's chunks to the buffer: in index order, fenced, dropped in an outage.

import type { ChunkStore, Fence } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import type { Logger } from '../logger.js';
import type { WorkerStats } from '../stats.js';

/** Watches the chunks an owner appends, in index order (the HLS segmenter, DESIGN §13). */
export interface ChunkObserver {
  /** Before the first chunk (reads what an earlier owner left). */
  open(): Promise<void>;
  appended(index: number, chunk: Buffer): void;
  /** What follows is not continuous with what came before: a new engine session. */
  discontinuity(): void;
  close(): void;
}

/** The ownership token appends carry, and the way to get a new one (see Ownership). */
export interface FenceHolder {
  readonly fence: Fence | undefined;
  /**
   * False once the lease ran out by this worker's own clock (no renewal answered for a TTL):
   * another worker may own the stream, so no append is sent (absent: always valid).
   */
  readonly leaseValid?: boolean;
  /**
   * An append was refused as fenced: claims the stream back when Redis lost its owner key (and
   * nobody else claimed it); the new token, or null when another worker owns the stream now.
   */
  reclaim(): Promise<Fence | null>;
}

/**
 * While Redis is away each append waits through reconnects. Once the oldest waiting append is
 * this old, new chunks are dropped rather than queued (memory stays flat however long the
 * outage; a live chunk that late is of no use to a player). A busy but working store never
 * makes an append wait this long, so no chunk is dropped outside an outage.
 */
export const MAX_APPEND_WAIT_MS = 3000;

export interface AppendQueueOptions {
  id: StreamId;
  store: ChunkStore;
  ownership: FenceHolder;
  /** How long a chunk stays in the buffer (PROXY_BUFFER_TTL), ms: older ones are unlinked by the next append. */
  bufferTtlMs: number;
  stats: WorkerStats;
  logger: Logger;
  observer?: ChunkObserver;
  /** Another worker owns the stream: called once, reading must end. */
  onFenced(): void;
  /** See MAX_APPEND_WAIT_MS (tests shorten it). */
  maxWaitMs?: number;
  /** The clock appends are timed by (tests move it). */
  now?: () => number;
}

export class AppendQueue {
  private nextIndex = 1;
  private tail: Promise<void> = Promise.resolve();
  /** When each append still waiting was queued, oldest first. */
  private readonly pendingSince: number[] = [];
  private droppedChunks = 0;
  /** Chunks this owner appended, oldest first, until they leave the buffer's time window. */
  private readonly appended: Array<{ index: number; at: number }> = [];
  private fenced = false;

  constructor(private readonly options: AppendQueueOptions) {}

  /** Continues after the stream's last index (an earlier owner's), and opens the observer. */
  async open(): Promise<void> {
    this.nextIndex = (await this.options.store.lastIndex(this.options.id)) + 1;
    await this.options.observer?.open();
  }

  /** Index the next appended chunk gets. */
  get next(): number {
    return this.nextIndex;
  }

  // Appends run one after another: indexes must reach the store in order.
  enqueue(chunk: Buffer): void {
    const now = (this.options.now ?? Date.now)();
    if (this.pendingSince.length > 0 && now - this.pendingSince[0]! > (this.options.maxWaitMs ?? MAX_APPEND_WAIT_MS)) {
      if (this.droppedChunks++ === 0) {
        this.options.logger.warn('the buffer does not take chunks (Redis away?): dropping them until it does', {
          stream_id: this.options.id,
        });
      }
      return;
    }
    this.pendingSince.push(now);
    this.tail = this.tail.then(() => this.append(chunk)).finally(() => this.pendingSince.shift());
  }

  /** A new engine session begins: the observer hears it after the chunks of the one that ended. */
  discontinuity(): void {
    this.tail = this.tail.then(() => this.options.observer?.discontinuity());
  }

  /** Resolves once every queued append is done. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** No more chunks: the observer closes after the queued ones. */
  close(): void {
    void this.tail.then(() => this.options.observer?.close());
  }

  /** Puts back the buffer index Redis lost, so indexes keep increasing for the workers that serve the stream. */
  restoreIndex(): Promise<void> {
    return this.options.store.restoreIndex(this.options.id, this.nextIndex - 1);
  }

  private async append(chunk: Buffer): Promise<void> {
    const { store, id, logger, bufferTtlMs, ownership } = this.options;
    if (this.fenced) return;
    // Checked here, before each append, and not only by the Lua fencing check: an append sent
    // now could reach Redis after another worker claimed the stream and renewed nothing since.
    // The chunk is dropped; the ownership's expiry ends the reader (see Ownership.onExpired).
    if (ownership.leaseValid === false) {
      if (this.droppedChunks++ === 0) logger.warn('ownership lease ran out: dropping chunks', { stream_id: id });
      return;
    }
    const now = (this.options.now ?? Date.now)();
    let expired: number | undefined;
    while (this.appended.length > 0 && this.appended[0]!.at <= now - bufferTtlMs) expired = this.appended.shift()!.index;
    try {
      let result = await store.append(id, this.nextIndex, chunk, ownership.fence, expired);
      if (result === 'conflict') {
        // Someone else moved the index (a previous owner's last append): continue after it.
        this.nextIndex = (await store.lastIndex(id)) + 1;
        result = await store.append(id, this.nextIndex, chunk, ownership.fence, expired);
      }
      if (result === 'fenced') {
        // A successful reclaim has restored the metadata and the index before it resolves.
        const fence = await ownership.reclaim();
        if (fence) result = await store.append(id, this.nextIndex, chunk, fence, expired);
      }
      if (result === 'fenced') {
        this.fenced = true;
        this.options.onFenced();
        return;
      }
      if (result === 'ok') {
        this.options.observer?.appended(this.nextIndex, chunk);
        this.appended.push({ index: this.nextIndex++, at: now });
        this.options.stats.chunksAppended++;
        if (this.droppedChunks > 0) {
          logger.info('the buffer takes chunks again', { stream_id: id, dropped_chunks: this.droppedChunks });
          this.droppedChunks = 0;
        }
      }
    } catch (err) {
      logger.error('chunk append failed', { stream_id: id, error: (err as Error).message, index: this.nextIndex });
    }
  }
}
