// Worker side of one stream: buffer -> this worker's clients, each with its own cursor.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import { findRandomAccess, nullPackets, PsiTracker } from '@acestream-proxy/ts';
import { BacklogLedger, type BacklogPosition } from './join-budget.js';
import type { Logger } from './logger.js';
import type { WorkerStats } from './stats.js';

/** What the fanout needs of a client's socket (an http.ServerResponse fits). */
export interface ClientSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
  /** Closes at once: `end()` would wait behind the bytes of a player that does not read. */
  destroy(): unknown;
  readonly destroyed: boolean;
  /** Bytes written but not yet taken by the socket, when the sink can tell. */
  readonly writableLength?: number;
  /** Several writes in one go (one writev to the socket) between cork and uncork, when the sink has them. */
  cork?(): void;
  uncork?(): void;
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
  /**
   * A client whose socket has not drained for this long is dropped (PROXY_CLIENT_STALL_TIMEOUT,
   * ms); unset = never. Checked on the keepalive timer.
   */
  stallTimeoutMs?: number;
  /** Jumps to the live edge a client may need before it is dropped as too slow. */
  maxSkips: number;
  /** Largest range fetched from the store in one call. */
  maxFetch: number;
  /**
   * Chunks a client that joined before any picture waits for a random access point before it
   * starts on a packet boundary anyway (streams whose muxer marks none).
   */
  entryWaitChunks: number;
  /**
   * The join burst budget: backlog bytes this worker's joiners may be owed at once. A joiner whose
   * backlog does not fit starts at the newest picture instead, or, when even that does not fit,
   * waits for the next one (null packets meanwhile). Unset: no limit.
   */
  joinBacklogBudget?: number;
  /**
   * Bytes a client may have queued (views of shared chunks, no copies) before it waits for its
   * socket to drain: a client that is behind gets several chunks in one writev, and one at the
   * live edge is not made to wait for a drain event per chunk. Unset: the socket's high-water mark.
   */
  catchUpWriteBytes?: number;
}

/** Longest stretch (ms) the fanout writes to its clients before letting other I/O in (new connections). */
const SLICE_MS = 4;

export class FanoutClient implements BacklogPosition {
  cursor = 0;
  bytesSent = 0;
  skips = 0;
  blocked = false;
  /** Its last write returned false: a 'drain' is due. */
  pushedBack = false;
  /** When the socket last pushed back without draining since (0 while it drains). */
  blockedSince = 0;
  lastWriteAt = 0;
  /** Joined before the stream had a picture to start on: waits for a random access point. */
  awaitingEntry = false;
  position = 0;
  backlogEnd = 0;
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
  /** Per cached chunk, the stream byte position of its end; `end` is that of the newest. */
  private readonly ends = new Map<number, number>();
  private end = 0;
  /** Backlog bytes joiners of this fanout are still owed (see `joinBacklogBudget`). */
  private readonly ledger: BacklogLedger;
  /** Clients whose socket drained, waiting for their turn to be written to (see `drained`). */
  private readonly drainedClients = new Set<FanoutClient>();

  constructor(
    readonly id: StreamId,
    private readonly store: ChunkStore,
    private readonly settings: FanoutSettings,
    private readonly logger: Logger,
    private readonly stats: WorkerStats,
    private readonly onClientDropped: (client: FanoutClient, reason: string) => void = () => {},
  ) {
    this.ledger = new BacklogLedger(settings.joinBacklogBudget);
  }

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
    client.position = this.end;
    this.clients.add(client);
    const target = this.joinIndex();
    const normal = this.entryPoint(target);
    const entry = normal && this.withinBudget(normal);
    if (entry !== normal) this.stats.joinsTrimmed++;
    if (entry) {
      this.owe(client, entry.index);
      this.startAt(client, entry.index, entry.offset);
    } else if (normal) {
      // Over the join budget even at the newest picture: no backlog, it starts on the next one.
      client.cursor = this.newest + 1;
      client.awaitingEntry = true;
      this.write(client, KEEPALIVE);
    } else if (target <= this.newest && !this.hasEntries()) {
      // A stream without random access marks: start on a packet boundary.
      client.cursor = target;
      this.owe(client, target);
      this.pump(client);
    } else {
      client.cursor = this.newest + 1;
      client.awaitingEntry = true;
      this.write(client, KEEPALIVE);
    }
    return client;
  }

  /** The one way a client leaves the fanout (it left, or was dropped): its owed backlog is settled. */
  remove(client: FanoutClient): void {
    this.drainedClients.delete(client);
    if (this.clients.delete(client)) this.ledger.settle(client);
  }

  /** Backlog bytes this fanout's joiners are still owed (see `joinBacklogBudget`). */
  get owedBacklog(): number {
    return this.ledger.total;
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
        // A chunk that expired before this worker fetched it takes no room in the stream.
        if (chunk) this.end += chunk.length;
        this.ends.set(from + i, this.end);
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
      for (let n = this.oldestCached() - 1; this.ends.has(n); n--) {
        this.cache.delete(n);
        this.entries.delete(n);
        this.ends.delete(n);
      }
      // In slices: a worker writing to thousands of clients still takes new connections (the
      // primary hands over one per turn of this worker's event loop) and timers meanwhile.
      let sliceStart = performance.now();
      let n = 0;
      for (const client of this.clients) {
        if (client.awaitingEntry) this.startWaiting(client);
        else this.pump(client);
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

  /**
   * Writes cached chunks from the client's cursor until its socket pushes back. A client that is
   * behind gets up to `catchUpWriteBytes` at once: views of the shared chunks, one writev.
   */
  private pump(client: FanoutClient): void {
    if (client.blocked || client.sink.destroyed) return;
    if (client.cursor < this.oldestCached() && client.cursor <= this.newest) {
      this.jump(client);
      return;
    }
    if (client.cursor > this.newest) return;
    const limit = this.settings.catchUpWriteBytes ?? 0;
    const several = client.cursor < this.newest && limit > 0;
    if (several) client.sink.cork?.();
    while (client.cursor <= this.newest) {
      // Pushed back with more than `limit` queued: wait for the drain (a sink that cannot tell
      // its queue waits at the first push back, as a plain stream would).
      if (client.pushedBack && (client.sink.writableLength ?? Number.POSITIVE_INFINITY) > limit) {
        this.waitForDrain(client);
        break;
      }
      const n = client.cursor++;
      this.ledger.advance(client, this.ends.get(n) ?? client.position);
      const chunk = this.cache.get(n);
      if (chunk) this.write(client, chunk); // none: expired before this worker fetched it
    }
    if (several) client.sink.uncork?.();
  }

  /** Stream byte position where chunk `index` starts. */
  private startOf(index: number): number {
    const before = this.ends.get(index - 1);
    if (before !== undefined) return before;
    const at = this.ends.get(index);
    return at === undefined ? this.end : at - (this.cache.get(index)?.length ?? 0);
  }

  /** A joiner starting at chunk `index` is owed everything from there to the live edge. */
  private owe(client: FanoutClient, index: number): void {
    this.ledger.owe(client, this.startOf(index), this.end);
  }

  /**
   * The join burst policy: the normal join point when its backlog fits in the budget, else the
   * newest picture when that fits, else null (the joiner waits for the next picture).
   */
  private withinBudget(entry: { index: number; offset: number }): { index: number; offset: number } | null {
    const fits = (e: { index: number }) => this.ledger.fits(this.end - this.startOf(e.index));
    if (fits(entry)) return entry;
    const newest = this.entryPoint(this.newest);
    return newest && fits(newest) ? newest : null;
  }

  // Backpressure is per client: only this client waits, the others keep receiving.
  private waitForDrain(client: FanoutClient): void {
    client.blocked = true;
    client.blockedSince = Date.now();
    client.sink.once('drain', () => {
      client.blocked = false;
      client.pushedBack = false;
      client.blockedSince = 0;
      if (this.clients.has(client)) this.drained(client);
    });
  }

  // Drained clients are written to in time slices after the I/O poll, not inside it: however
  // many sockets drain at once, the worker's event loop keeps turning and taking new connections.
  private drained(client: FanoutClient): void {
    this.drainedClients.add(client);
    if (this.drainedClients.size === 1) setImmediate(() => this.pumpDrained());
  }

  private pumpDrained(): void {
    const sliceEnd = performance.now() + SLICE_MS;
    for (const client of this.drainedClients) {
      this.drainedClients.delete(client);
      if (this.clients.has(client)) this.pump(client);
      if (performance.now() > sliceEnd) break;
    }
    if (this.drainedClients.size > 0 && !this.closed) setImmediate(() => this.pumpDrained());
  }

  private write(client: FanoutClient, bytes: Buffer): boolean {
    client.bytesSent += bytes.length;
    this.stats.bytesSent += bytes.length;
    client.lastWriteAt = Date.now();
    client.pushedBack = !client.sink.write(bytes);
    return !client.pushedBack;
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
    this.ledger.advance(client, this.ends.get(index)!);
    // The rest of its backlog now, as far as its queue allows (pump waits for a drain if not).
    if (!flowing && client.sink.writableLength === undefined) this.waitForDrain(client);
    else this.pump(client);
  }

  // A client that fell out of the cache resumes at the live edge; one that keeps falling is dropped.
  private jump(client: FanoutClient): void {
    client.skips++;
    this.stats.clientSkips++;
    if (client.skips > this.settings.maxSkips) {
      this.logger.warn('dropping a client that cannot keep up', {
        client_id: client.clientId,
        skips: client.skips,
      });
      this.drop(client, 'too slow');
      return;
    }
    this.logger.info('client fell behind the buffer, jumping to the live edge', {
      client_id: client.clientId,
      behind: this.newest - client.cursor,
    });
    this.ledger.settle(client);
    const entry = this.entryPoint(this.newest);
    if (entry) {
      this.startAt(client, entry.index, entry.offset);
      return;
    }
    client.cursor = this.newest;
    this.pump(client);
  }

  // A player that stopped reading (paused for too long, hung, gone without a FIN) holds its slot
  // and socket buffers for as long as the connection lives: drop it once past the stall timeout.
  private dropStalled(now: number): void {
    const limit = this.settings.stallTimeoutMs;
    if (limit === undefined) return;
    for (const client of this.clients) {
      if (!client.blocked || now - client.blockedSince < limit) continue;
      this.logger.warn('dropping a player that has not read for PROXY_CLIENT_STALL_TIMEOUT', {
        client_id: client.clientId,
        stalled_s: Math.round((now - client.blockedSince) / 1000),
        bytes_sent: client.bytesSent,
      });
      this.drop(client, 'stalled');
    }
  }

  /**
   * The fanout's own way to let a client go: through `remove`, so what it was still owed of its
   * join backlog is settled. A slow reader is ended (it takes what it was written first); a stalled
   * one is destroyed, as `end()` would wait behind the bytes of a player that does not read.
   */
  private drop(client: FanoutClient, reason: 'too slow' | 'stalled'): void {
    this.stats.clientsDropped++;
    this.remove(client);
    if (reason === 'stalled') client.sink.destroy();
    else client.sink.end();
    this.onClientDropped(client, reason);
  }

  // Players give up after a few seconds of silence: fill gaps with null packets, between chunks only.
  private keepalive(): void {
    const now = Date.now();
    this.dropStalled(now);
    const silence = now - this.lastDataAt;
    if (silence < this.settings.keepaliveIntervalMs || silence > this.settings.keepaliveCapMs) return;
    for (const client of this.clients) {
      if (client.blocked || now - client.lastWriteAt < this.settings.keepaliveIntervalMs) continue;
      if (!this.write(client, KEEPALIVE)) this.waitForDrain(client);
    }
  }
}
