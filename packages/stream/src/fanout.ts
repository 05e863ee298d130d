// Worker side of one stream: buffer -> this worker's clients, each with its own cursor.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import { findRandomAccess, nullPackets, PsiTracker } from '@acestream-proxy/ts';
import type { Logger } from './logger.js';
import type { WorkerStats } from './stats.js';

/** What the fanout needs of a client's socket (an http.ServerResponse fits). */
export interface ClientSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
  readonly destroyed: boolean;
}

export interface FanoutSettings {
  /** Chunks a joining client starts behind the live edge (initial-behind seconds / flush interval). */
  behindChunks: number;
  /** Chunks kept in this worker's cache; a client further behind jumps to the live edge. */
  cacheChunks: number;
  /** Silence after which keepalive null packets are sent, and their period (ms). */
  keepaliveIntervalMs: number;
  /** Longest silence padded with keepalives (ms); a stream silent longer is failing anyway. */
  keepaliveCapMs: number;
  /** Jumps to the live edge a client may need before it is dropped as too slow. */
  maxSkips: number;
  /** Largest range fetched from the store in one call. */
  maxFetch: number;
  /**
   * Chunks a client that joined before any picture waits for a random access point before it
   * starts on a packet boundary anyway (streams whose muxer marks none).
   */
  entryWaitChunks: number;
}

export class FanoutClient {
  cursor = 0;
  bytesSent = 0;
  skips = 0;
  blocked = false;
  lastWriteAt = 0;
  /** Joined before the stream had a picture to start on: waits for a random access point. */
  awaitingEntry = false;
  /** When it joined, and whether it has had a picture yet (for the first-picture histogram). */
  readonly joinedAt = performance.now();
  pictured = false;
  constructor(
    readonly clientId: string,
    readonly sink: ClientSink,
  ) {}
}

const KEEPALIVE = nullPackets(7);

export class StreamFanout {
  readonly clients = new Set<FanoutClient>();
  private readonly cache = new Map<number, Buffer>();
  /** Per cached chunk, the offset of its first random access point (-1: none), found once per worker. */
  private readonly entries = new Map<number, number>();
  private readonly psi = new PsiTracker();
  /** Newest index fetched into the cache (0 before any). */
  private newest = 0;
  private wanted = 0;
  private fetching: Promise<void> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastDataAt = Date.now();
  /** When `wanted` was announced, for the chunk-age histogram. */
  private wantedAt = 0;
  private nextData: ((silenceMs: number) => void) | null = null;
  private closed = false;
  /** False until the join window is known; notifications before that only raise `wanted`. */
  private ready = false;

  constructor(
    readonly id: StreamId,
    private readonly store: ChunkStore,
    private readonly settings: FanoutSettings,
    private readonly logger: Logger,
    private readonly stats: WorkerStats,
    private readonly onClientDropped: (client: FanoutClient, reason: string) => void = () => {},
  ) {}

  /** Subscribes to notifications and loads the join window into the cache. */
  async open(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(this.id, (index) => this.announce(index));
    const last = await this.store.lastIndex(this.id);
    // The join window plus one keyframe interval before it, so a joiner can start on a picture.
    this.newest = Math.max(0, last - this.settings.behindChunks - this.settings.entryWaitChunks);
    this.ready = true;
    this.announce(last);
    await this.fetching;
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.settings.keepaliveIntervalMs);
    this.keepaliveTimer.unref();
  }

  /**
   * Adds a client near the live edge, starting on a picture: PAT+PMT, then the chunk holding the
   * nearest random access point from that point on, then the backlog at once.
   */
  add(clientId: string, sink: ClientSink): FanoutClient {
    const client = new FanoutClient(clientId, sink);
    this.clients.add(client);
    const target = this.joinIndex();
    const entry = this.entryPoint(target);
    if (entry) this.startAt(client, entry.index, entry.offset);
    else if (target <= this.newest && !this.hasEntries()) {
      // A stream without random access marks: start on a packet boundary.
      client.cursor = target;
      this.pump(client);
    } else {
      client.cursor = this.newest + 1;
      client.awaitingEntry = true;
      this.write(client, KEEPALIVE);
    }
    return client;
  }

  remove(client: FanoutClient): void {
    this.clients.delete(client);
  }

  /** A chunk notification: fetch what is missing once for all clients of this worker. */
  announce(index: number): void {
    if (index > this.wanted) {
      this.wanted = index;
      this.wantedAt = performance.now();
    }
    if (this.ready && !this.fetching && this.wanted > this.newest && !this.closed) {
      this.fetching = this.fetchMissing().finally(() => {
        this.fetching = null;
        // An index announced after the loop's last check, while `fetching` was still set.
        if (this.wanted > this.newest) this.announce(this.wanted);
      });
    }
  }

  /** Ends every client response and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    for (const client of this.clients) client.sink.end();
    this.clients.clear();
    this.cache.clear();
    await this.unsubscribe?.();
  }

  /** Calls `observe` once, with the silence that the next fetched chunk ends (a takeover's gap). */
  onNextData(observe: (silenceMs: number) => void): void {
    this.nextData = observe;
  }

  get newestIndex(): number {
    return this.newest;
  }

  private joinIndex(): number {
    const oldest = this.oldestCached();
    return Math.max(oldest, this.newest - this.settings.behindChunks + 1, 1);
  }

  private oldestCached(): number {
    return Math.max(1, this.newest - this.settings.cacheChunks + 1);
  }

  private async fetchMissing(): Promise<void> {
    while (this.wanted > this.newest && !this.closed) {
      const from = this.newest + 1;
      const to = Math.min(this.wanted, from + this.settings.maxFetch - 1);
      let chunks: Array<Buffer | null>;
      try {
        chunks = await this.store.read(this.id, from, to);
      } catch (err) {
        this.logger.warn('chunk fetch failed', { error: (err as Error).message, from, to });
        return;
      }
      chunks.forEach((chunk, i) => {
        if (!chunk) return;
        this.cache.set(from + i, chunk);
        this.entries.set(from + i, findRandomAccess(chunk));
        this.psi.observe(chunk);
      });
      this.newest = to;
      if (this.nextData) {
        this.nextData(Date.now() - this.lastDataAt);
        this.nextData = null;
      }
      this.lastDataAt = Date.now();
      for (let n = this.oldestCached() - 1; this.cache.has(n); n--) {
        this.cache.delete(n);
        this.entries.delete(n);
      }
      for (const client of this.clients) {
        if (client.awaitingEntry) this.startWaiting(client);
        else this.pump(client);
      }
      // Once per fetch, not per client: how old the newest chunk was when this worker sent it.
      if (to === this.wanted) this.stats.timings.chunkAge((performance.now() - this.wantedAt) / 1000);
    }
  }

  /** Writes cached chunks from the client's cursor until its socket pushes back. */
  private pump(client: FanoutClient): void {
    if (client.blocked || client.sink.destroyed) return;
    if (client.cursor < this.oldestCached() && client.cursor <= this.newest) {
      this.jump(client);
      return;
    }
    while (client.cursor <= this.newest) {
      const chunk = this.cache.get(client.cursor++);
      if (!chunk) continue; // expired before this worker fetched it: nothing to send for it
      if (!this.write(client, chunk)) {
        this.waitForDrain(client);
        return;
      }
    }
  }

  // Backpressure is per client: only this client waits, the others keep receiving.
  private waitForDrain(client: FanoutClient): void {
    client.blocked = true;
    client.sink.once('drain', () => {
      client.blocked = false;
      if (this.clients.has(client)) this.pump(client);
    });
  }

  private write(client: FanoutClient, bytes: Buffer): boolean {
    client.bytesSent += bytes.length;
    this.stats.bytesSent += bytes.length;
    client.lastWriteAt = Date.now();
    return client.sink.write(bytes);
  }

  /** The chunk and offset to start a player on: the random access point nearest `target`. */
  private entryPoint(target: number): { index: number; offset: number } | null {
    // At or before the target first (a picture at once), else the next one after it.
    for (let n = Math.min(target, this.newest); n >= this.oldestCached(); n--) {
      const offset = this.entries.get(n);
      if (offset !== undefined && offset >= 0) return { index: n, offset };
    }
    return this.firstEntryFrom(target + 1);
  }

  private firstEntryFrom(from: number): { index: number; offset: number } | null {
    for (let n = from; n <= this.newest; n++) {
      const offset = this.entries.get(n);
      if (offset !== undefined && offset >= 0) return { index: n, offset };
    }
    return null;
  }

  private hasEntries(): boolean {
    for (const offset of this.entries.values()) if (offset >= 0) return true;
    return false;
  }

  // A client that joined before any picture: start on the first one that arrives, or, after a
  // join window's worth of chunks without one, on a packet boundary.
  private startWaiting(client: FanoutClient): void {
    const entry = this.firstEntryFrom(client.cursor);
    if (entry) {
      this.startAt(client, entry.index, entry.offset);
      return;
    }
    if (this.newest - client.cursor + 1 >= this.settings.entryWaitChunks) {
      client.awaitingEntry = false;
      this.pump(client);
    }
  }

  /** Sends PAT+PMT, then chunk `index` from `offset` (a zero-copy view), then the rest. */
  private startAt(client: FanoutClient, index: number, offset: number): void {
    client.awaitingEntry = false;
    if (!client.pictured) {
      client.pictured = true;
      this.stats.timings.firstPicture((performance.now() - client.joinedAt) / 1000);
    }
    const chunk = this.cache.get(index)!;
    const header = this.psi.header();
    let flowing = header ? this.write(client, header) : true;
    flowing = this.write(client, offset === 0 ? chunk : chunk.subarray(offset)) && flowing;
    client.cursor = index + 1;
    if (!flowing) this.waitForDrain(client);
    else this.pump(client);
  }

  // A client that fell out of the cache resumes at the live edge; one that keeps falling is dropped.
  private jump(client: FanoutClient): void {
    client.skips++;
    this.stats.clientSkips++;
    if (client.skips > this.settings.maxSkips) {
      this.stats.clientsDropped++;
      this.logger.warn('dropping a client that cannot keep up', {
        client_id: client.clientId,
        skips: client.skips,
      });
      this.clients.delete(client);
      client.sink.end();
      this.onClientDropped(client, 'too slow');
      return;
    }
    this.logger.info('client fell behind the buffer, jumping to the live edge', {
      client_id: client.clientId,
      behind: this.newest - client.cursor,
    });
    const entry = this.entryPoint(this.newest);
    if (entry) {
      this.startAt(client, entry.index, entry.offset);
      return;
    }
    client.cursor = this.newest;
    this.pump(client);
  }

  // Players give up after a few seconds of silence: fill gaps with null packets, between chunks only.
  private keepalive(): void {
    const now = Date.now();
    const silence = now - this.lastDataAt;
    if (silence < this.settings.keepaliveIntervalMs || silence > this.settings.keepaliveCapMs) return;
    for (const client of this.clients) {
      if (client.blocked || now - client.lastWriteAt < this.settings.keepaliveIntervalMs) continue;
      if (!this.write(client, KEEPALIVE)) this.waitForDrain(client);
    }
  }
}
