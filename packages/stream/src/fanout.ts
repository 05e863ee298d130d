// Worker side of one stream: buffer -> this worker's clients, each with its own cursor.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import { nullPackets } from '@acestream-proxy/ts';
import type { Logger } from './logger.js';

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
  /** Jumps to the live edge a client may need before it is dropped as too slow. */
  maxSkips: number;
  /** Largest range fetched from the store in one call. */
  maxFetch: number;
}

export class FanoutClient {
  cursor = 0;
  bytesSent = 0;
  skips = 0;
  blocked = false;
  lastWriteAt = 0;
  constructor(
    readonly clientId: string,
    readonly sink: ClientSink,
  ) {}
}

const KEEPALIVE = nullPackets(7);

export class StreamFanout {
  readonly clients = new Set<FanoutClient>();
  private readonly cache = new Map<number, Buffer>();
  /** Newest index fetched into the cache (0 before any). */
  private newest = 0;
  private wanted = 0;
  private fetching: Promise<void> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastDataAt = Date.now();
  private closed = false;
  /** False until the join window is known; notifications before that only raise `wanted`. */
  private ready = false;

  constructor(
    readonly id: StreamId,
    private readonly store: ChunkStore,
    private readonly settings: FanoutSettings,
    private readonly logger: Logger,
    private readonly onClientDropped: (client: FanoutClient, reason: string) => void = () => {},
  ) {}

  /** Subscribes to notifications and loads the join window into the cache. */
  async open(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(this.id, (index) => this.announce(index));
    const last = await this.store.lastIndex(this.id);
    this.newest = Math.max(0, last - this.settings.behindChunks);
    this.ready = true;
    this.announce(last);
    await this.fetching;
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.settings.keepaliveIntervalMs);
    this.keepaliveTimer.unref();
  }

  /** Adds a client near the live edge and sends it the backlog at once. */
  add(clientId: string, sink: ClientSink): FanoutClient {
    const client = new FanoutClient(clientId, sink);
    client.cursor = this.joinIndex();
    this.clients.add(client);
    if (client.cursor > this.newest) this.write(client, KEEPALIVE);
    else this.pump(client);
    return client;
  }

  remove(client: FanoutClient): void {
    this.clients.delete(client);
  }

  /** A chunk notification: fetch what is missing once for all clients of this worker. */
  announce(index: number): void {
    if (index > this.wanted) this.wanted = index;
    if (this.ready && !this.fetching && this.wanted > this.newest && !this.closed) {
      this.fetching = this.fetchMissing().finally(() => {
        this.fetching = null;
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
        if (chunk) this.cache.set(from + i, chunk);
      });
      this.newest = to;
      this.lastDataAt = Date.now();
      for (let n = this.oldestCached() - 1; this.cache.has(n); n--) this.cache.delete(n);
      for (const client of this.clients) this.pump(client);
    }
  }

  /** Writes cached chunks from the client's cursor until its socket pushes back. */
  private pump(client: FanoutClient): void {
    if (client.blocked || client.sink.destroyed) return;
    if (client.cursor < this.oldestCached() && client.cursor <= this.newest) {
      this.jump(client);
      if (!this.clients.has(client)) return;
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
    client.lastWriteAt = Date.now();
    return client.sink.write(bytes);
  }

  // A client that fell out of the cache resumes at the live edge; one that keeps falling is dropped.
  private jump(client: FanoutClient): void {
    client.skips++;
    if (client.skips > this.settings.maxSkips) {
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
    client.cursor = this.newest;
  }

  // Players give up after a few seconds of silence: fill gaps with null packets, between chunks only.
  private keepalive(): void {
    const now = Date.now();
    if (now - this.lastDataAt < this.settings.keepaliveIntervalMs) return;
    for (const client of this.clients) {
      if (client.blocked || now - client.lastWriteAt < this.settings.keepaliveIntervalMs) continue;
      if (!this.write(client, KEEPALIVE)) this.waitForDrain(client);
    }
  }
}
