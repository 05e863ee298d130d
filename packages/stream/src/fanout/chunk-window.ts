// A stream's recent chunks on this worker: fetched once per notification, cached with their entry points.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import { findRandomAccess, PsiTracker } from '@acestream-proxy/ts';
import type { Logger } from '../logger.js';
import type { WorkerStats } from '../stats.js';
import type { FanoutClient } from './client-writer.js';

export interface WindowSettings {
  /** Chunks a joining client starts behind the live edge. */
  behindChunks: number;
  /** Chunks kept in this worker's cache; a client further behind jumps to the live edge. */
  cacheChunks: number;
  /** Largest range fetched from the store in one call. */
  maxFetch: number;
  /** Chunks a joiner waits for a random access point (the window opens this far before the join point). */
  entryWaitChunks: number;
}

/** Where a player starts: the chunk holding a random access point, and its offset there. */
export interface EntryPoint {
  index: number;
  offset: number;
}

/** Longest stretch (ms) the fanout writes to its clients before letting other I/O in (new connections). */
const SLICE_MS = 4;

export class ChunkWindow {
  private readonly cache = new Map<number, Buffer>();
  /** Per cached chunk, the offset of its first random access point (-1: none), found once per worker. */
  private readonly entries = new Map<number, number>();
  /** Per cached chunk, the stream byte position of its end. */
  private readonly ends = new Map<number, number>();
  private readonly psi = new PsiTracker();
  /** Newest index fetched into the cache (0 before any). */
  private newestIndex = 0;
  /** Stream byte position of the newest chunk's end (the live edge). */
  private endPosition = 0;
  private wanted = 0;
  /** When `wanted` was announced, for the chunk-age histogram. */
  private wantedAt = 0;
  private fetching: Promise<void> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private nextData: ((silenceMs: number) => void) | null = null;
  /** False until the join window is known; notifications before that only raise `wanted`. */
  private ready = false;
  private closed = false;
  /** When the last chunk was fetched (keepalives fill the silence after it). */
  lastDataAt = Date.now();

  constructor(
    private readonly id: StreamId,
    private readonly store: ChunkStore,
    private readonly settings: WindowSettings,
    private readonly logger: Logger,
    private readonly stats: WorkerStats,
    /** Every client of this worker, written to after each fetch. */
    private readonly clients: ReadonlySet<FanoutClient>,
    /** Writes a client what it is due of the window (ClientWriter.serve). */
    private readonly serve: (client: FanoutClient) => void,
  ) {}

  /** Subscribes to notifications and loads the join window into the cache. */
  async open(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(this.id, (index) => this.announce(index));
    const last = await this.store.lastIndex(this.id);
    // The join window plus one keyframe interval before it, so a joiner can start on a picture.
    this.newestIndex = Math.max(0, last - this.settings.behindChunks - this.settings.entryWaitChunks);
    this.ready = true;
    this.announce(last);
    await this.fetching;
  }

  /** A chunk notification: fetch what is missing once for all clients of this worker. */
  announce(index: number): void {
    if (index > this.wanted) {
      this.wanted = index;
      this.wantedAt = performance.now();
    }
    if (this.ready && !this.fetching && this.wanted > this.newestIndex && !this.closed) {
      this.fetching = this.fetchMissing().finally(() => {
        this.fetching = null;
        // An index announced after the loop's last check, while `fetching` was still set.
        if (this.wanted > this.newestIndex) this.announce(this.wanted);
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
    await this.unsubscribe?.();
  }

  /** Calls `observe` once, with the silence that the next fetched chunk ends (a takeover's gap). */
  onNextData(observe: (silenceMs: number) => void): void {
    this.nextData = observe;
  }

  private async fetchMissing(): Promise<void> {
    while (this.wanted > this.newestIndex && !this.closed) {
      const from = this.newestIndex + 1;
      const to = Math.min(this.wanted, from + this.settings.maxFetch - 1);
      let chunks: Array<Buffer | null>;
      try {
        chunks = await this.store.read(this.id, from, to);
      } catch (err) {
        this.logger.warn('chunk fetch failed', { error: (err as Error).message, from, to });
        return;
      }
      chunks.forEach((chunk, i) => {
        // A chunk that expired before this worker fetched it takes no room in the stream.
        if (chunk) this.endPosition += chunk.length;
        this.ends.set(from + i, this.endPosition);
        if (!chunk) return;
        this.cache.set(from + i, chunk);
        this.entries.set(from + i, findRandomAccess(chunk));
        this.psi.observe(chunk);
      });
      this.newestIndex = to;
      if (this.nextData) {
        this.nextData(Date.now() - this.lastDataAt);
        this.nextData = null;
      }
      this.lastDataAt = Date.now();
      for (let n = this.oldest - 1; this.ends.has(n); n--) {
        this.cache.delete(n);
        this.entries.delete(n);
        this.ends.delete(n);
      }
      // In slices: a worker writing to thousands of clients still takes new connections (the
      // primary hands over one per turn of this worker's event loop) and timers meanwhile.
      let sliceStart = performance.now();
      let n = 0;
      for (const client of this.clients) {
        this.serve(client);
        if (++n % 16 === 0 && performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          if (this.closed) return;
          sliceStart = performance.now();
        }
      }
      // Once per fetch, not per client: how old the newest chunk was when this worker sent it.
      if (to === this.wanted) this.stats.timings.chunkAge((performance.now() - this.wantedAt) / 1000);
    }
  }

  /** Newest index in the cache (0 before any). */
  get newest(): number {
    return this.newestIndex;
  }

  /** Oldest index still cached: a client before it fell out of the window. */
  get oldest(): number {
    return Math.max(1, this.newestIndex - this.settings.cacheChunks + 1);
  }

  /** Stream byte position of the live edge. */
  get end(): number {
    return this.endPosition;
  }

  /** The cached chunk `index`; undefined when it expired before this worker fetched it. */
  chunk(index: number): Buffer | undefined {
    return this.cache.get(index);
  }

  /** Stream byte position where chunk `index` ends. */
  endOf(index: number): number | undefined {
    return this.ends.get(index);
  }

  /** Stream byte position where chunk `index` starts. */
  startOf(index: number): number {
    const before = this.ends.get(index - 1);
    if (before !== undefined) return before;
    const at = this.ends.get(index);
    return at === undefined ? this.endPosition : at - (this.cache.get(index)?.length ?? 0);
  }

  /** The latest PAT+PMT, sent to a player before its first picture. */
  header(): Buffer | null {
    return this.psi.header();
  }

  /** Where a joiner's backlog begins: `behindChunks` behind the live edge, within the cache. */
  joinIndex(): number {
    return Math.max(this.oldest, this.newestIndex - this.settings.behindChunks + 1, 1);
  }

  /** The random access point nearest `target`: at or before it first (a picture at once), else the next after it. */
  entryPoint(target: number): EntryPoint | null {
    for (let n = Math.min(target, this.newestIndex); n >= this.oldest; n--) {
      const offset = this.entries.get(n);
      if (offset !== undefined && offset >= 0) return { index: n, offset };
    }
    return this.firstEntryFrom(target + 1);
  }

  firstEntryFrom(from: number): EntryPoint | null {
    for (let n = from; n <= this.newestIndex; n++) {
      const offset = this.entries.get(n);
      if (offset !== undefined && offset >= 0) return { index: n, offset };
    }
    return null;
  }

  /** Whether any cached chunk has a random access point (a stream whose muxer marks none has not). */
  hasEntries(): boolean {
    for (const offset of this.entries.values()) if (offset >= 0) return true;
    return false;
  }
}
