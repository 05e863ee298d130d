// Writing a stream's cached chunks to each client from its own cursor, with backpressure per client.

import type { WorkerStats } from '../stats.js';
import type { ChunkWindow } from './chunk-window.js';
import type { BacklogLedger, BacklogPosition } from './join-budget.js';

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

export interface WriterSettings {
  /** Chunks a client that joined before any picture waits for one before it starts on a packet boundary. */
  entryWaitChunks: number;
  /** Bytes a client may have queued before it waits for a drain (see FanoutSettings). */
  catchUpWriteBytes?: number;
}

/** Longest stretch (ms) spent writing to drained clients before letting other I/O in. */
const SLICE_MS = 4;

export class ClientWriter {
  /** Clients whose socket drained, waiting for their turn to be written to (see `drained`). */
  private readonly drainedClients = new Set<FanoutClient>();
  private closed = false;

  constructor(
    private readonly window: ChunkWindow,
    private readonly clients: ReadonlySet<FanoutClient>,
    private readonly ledger: BacklogLedger,
    private readonly settings: WriterSettings,
    private readonly stats: WorkerStats,
    /** A client whose cursor fell out of the window: the fanout's slow-client policy decides. */
    private readonly fellBehind: (client: FanoutClient) => void,
  ) {}

  /** After a fetch: a client waiting for a picture starts on one; the others get what is new. */
  serve(client: FanoutClient): void {
    if (client.awaitingEntry) this.startWaiting(client);
    else this.pump(client);
  }

  /**
   * Writes cached chunks from the client's cursor until its socket pushes back. A client that is
   * behind gets up to `catchUpWriteBytes` at once: views of the shared chunks, one writev.
   */
  pump(client: FanoutClient): void {
    if (client.blocked || client.sink.destroyed) return;
    const window = this.window;
    if (client.cursor < window.oldest && client.cursor <= window.newest) {
      this.fellBehind(client);
      return;
    }
    if (client.cursor > window.newest) return;
    const limit = this.settings.catchUpWriteBytes ?? 0;
    const several = client.cursor < window.newest && limit > 0;
    if (several) client.sink.cork?.();
    while (client.cursor <= window.newest) {
      // Pushed back with more than `limit` queued: wait for the drain (a sink that cannot tell
      // its queue waits at the first push back, as a plain stream would).
      if (client.pushedBack && (client.sink.writableLength ?? Number.POSITIVE_INFINITY) > limit) {
        this.waitForDrain(client);
        break;
      }
      const n = client.cursor++;
      this.ledger.advance(client, window.endOf(n) ?? client.position);
      const chunk = window.chunk(n);
      if (chunk) this.write(client, chunk); // none: expired before this worker fetched it
    }
    if (several) client.sink.uncork?.();
  }

  /** Sends PAT+PMT, then chunk `index` from `offset` (a zero-copy view), then the rest. */
  startAt(client: FanoutClient, index: number, offset: number): void {
    client.awaitingEntry = false;
    if (!client.pictured) {
      client.pictured = true;
      this.stats.timings.firstPicture((performance.now() - client.joinedAt) / 1000);
    }
    const chunk = this.window.chunk(index)!;
    const header = this.window.header();
    let flowing = header ? this.write(client, header) : true;
    flowing = this.write(client, offset === 0 ? chunk : chunk.subarray(offset)) && flowing;
    client.cursor = index + 1;
    this.ledger.advance(client, this.window.endOf(index)!);
    // The rest of its backlog now, as far as its queue allows (pump waits for a drain if not).
    if (!flowing && client.sink.writableLength === undefined) this.waitForDrain(client);
    else this.pump(client);
  }

  /** Writes `bytes` (shared, never copied); false when the socket pushed back. */
  write(client: FanoutClient, bytes: Buffer): boolean {
    client.bytesSent += bytes.length;
    this.stats.bytesSent += bytes.length;
    client.lastWriteAt = Date.now();
    client.pushedBack = !client.sink.write(bytes);
    return !client.pushedBack;
  }

  // Backpressure is per client: only this client waits, the others keep receiving.
  waitForDrain(client: FanoutClient): void {
    client.blocked = true;
    client.blockedSince = Date.now();
    client.sink.once('drain', () => {
      client.blocked = false;
      client.pushedBack = false;
      client.blockedSince = 0;
      if (this.clients.has(client)) this.drained(client);
    });
  }

  /** The client left: it is not written to again. */
  forget(client: FanoutClient): void {
    this.drainedClients.delete(client);
  }

  close(): void {
    this.closed = true;
    this.drainedClients.clear();
  }

  // A client that joined before any picture: start on the first one that arrives, or, after a
  // join window's worth of chunks without one, on a packet boundary.
  private startWaiting(client: FanoutClient): void {
    const entry = this.window.firstEntryFrom(client.cursor);
    if (entry) {
      this.startAt(client, entry.index, entry.offset);
      return;
    }
    if (this.window.newest - client.cursor + 1 >= this.settings.entryWaitChunks) {
      client.awaitingEntry = false;
      this.pump(client);
    }
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
}
