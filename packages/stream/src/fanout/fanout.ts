// Worker side of one stream: who its clients are, where a joiner starts, and which slow ones go.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import { nullPackets } from '@acestream-proxy/ts';
import { type DropReason, StreamEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { WorkerStats } from '../stats.js';
import { ChunkWindow, type EntryPoint, type WindowSettings } from './chunk-window.js';
import { type ClientSink, ClientWriter, FanoutClient, type WriterSettings } from './client-writer.js';
import { BacklogLedger } from './join-budget.js';

export interface FanoutSettings extends WindowSettings, WriterSettings {
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
  /**
   * The join burst budget: backlog bytes this worker's joiners may be owed at once. A joiner whose
   * backlog does not fit starts at the newest picture instead, or, when even that does not fit,
   * waits for the next one (null packets meanwhile). Unset: no limit.
   */
  joinBacklogBudget?: number;
}

const KEEPALIVE = nullPackets(7);

export class StreamFanout {
  readonly clients = new Set<FanoutClient>();
  private readonly window: ChunkWindow;
  private readonly writer: ClientWriter;
  /** Backlog bytes joiners of this fanout are still owed (see `joinBacklogBudget`). */
  private readonly ledger: BacklogLedger;
  private keepaliveTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: StreamId,
    store: ChunkStore,
    private readonly settings: FanoutSettings,
    private readonly logger: Logger,
    private readonly stats: WorkerStats,
    /** Where `player_dropped` goes. */
    private readonly events: StreamEvents = new StreamEvents(logger),
  ) {
    this.ledger = new BacklogLedger(settings.joinBacklogBudget);
    this.window = new ChunkWindow(id, store, settings, logger, stats, this.clients, (client) => this.writer.serve(client));
    this.writer = new ClientWriter(this.window, this.clients, this.ledger, settings, stats, (client) => this.jump(client));
  }

  /** Subscribes to notifications and loads the join window into the cache. */
  async open(): Promise<void> {
    await this.window.open();
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.settings.keepaliveIntervalMs);
    this.keepaliveTimer.unref();
  }

  /**
   * Adds a client near the live edge, starting on a picture: PAT+PMT, then the chunk holding the
   * nearest random access point from that point on, then the backlog at once.
   */
  add(clientId: string, sink: ClientSink): FanoutClient {
    const { window, writer } = this;
    const client = new FanoutClient(clientId, sink);
    client.position = window.end;
    this.clients.add(client);
    const target = window.joinIndex();
    const normal = window.entryPoint(target);
    const entry = normal && this.withinBudget(normal);
    if (entry !== normal) this.stats.joinsTrimmed++;
    if (entry) {
      this.owe(client, entry.index);
      writer.startAt(client, entry.index, entry.offset);
    } else if (target <= window.newest && !normal && !window.hasEntries()) {
      // A stream without random access marks: start on a packet boundary.
      client.cursor = target;
      this.owe(client, target);
      writer.pump(client);
    } else {
      // No picture yet, or over the join budget even at the newest one (no backlog then): it
      // starts on the next picture, with null packets meanwhile.
      client.cursor = window.newest + 1;
      client.awaitingEntry = true;
      writer.write(client, KEEPALIVE);
    }
    return client;
  }

  /** The one way a client leaves the fanout (it left, or was dropped): its owed backlog is settled. */
  remove(client: FanoutClient): void {
    this.writer.forget(client);
    if (this.clients.delete(client)) this.ledger.settle(client);
  }

  /** Backlog bytes this fanout's joiners are still owed (see `joinBacklogBudget`). */
  get owedBacklog(): number {
    return this.ledger.total;
  }

  /** A chunk notification: fetch what is missing once for all clients of this worker. */
  announce(index: number): void {
    this.window.announce(index);
  }

  /** Ends every client response and stops listening. */
  async close(): Promise<void> {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.writer.close();
    for (const client of this.clients) client.sink.end();
    this.clients.clear();
    await this.window.close();
  }

  /** Calls `observe` once, with the silence that the next fetched chunk ends (a takeover's gap). */
  onNextData(observe: (silenceMs: number) => void): void {
    this.window.onNextData(observe);
  }

  get newestIndex(): number {
    return this.window.newest;
  }

  /** A joiner starting at chunk `index` is owed everything from there to the live edge. */
  private owe(client: FanoutClient, index: number): void {
    this.ledger.owe(client, this.window.startOf(index), this.window.end);
  }

  /**
   * The join burst policy: the normal join point when its backlog fits in the budget, else the
   * newest picture when that fits, else null (the joiner waits for the next picture).
   */
  private withinBudget(entry: EntryPoint): EntryPoint | null {
    const fits = (e: EntryPoint) => this.ledger.fits(this.window.end - this.window.startOf(e.index));
    if (fits(entry)) return entry;
    const newest = this.window.entryPoint(this.window.newest);
    return newest && fits(newest) ? newest : null;
  }

  // A client that fell out of the cache resumes at the live edge; one that keeps falling is dropped.
  private jump(client: FanoutClient): void {
    client.skips++;
    this.stats.clientSkips++;
    if (client.skips > this.settings.maxSkips) {
      this.logger.warn('dropping a client that cannot keep up', { client_id: client.clientId, skips: client.skips });
      this.drop(client, 'too slow');
      return;
    }
    this.logger.info('client fell behind the buffer, jumping to the live edge', {
      client_id: client.clientId,
      behind: this.window.newest - client.cursor,
    });
    this.ledger.settle(client);
    const entry = this.window.entryPoint(this.window.newest);
    if (entry) {
      this.writer.startAt(client, entry.index, entry.offset);
      return;
    }
    client.cursor = this.window.newest;
    this.writer.pump(client);
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
      this.drop(client, 'stalled', now - client.blockedSince);
    }
  }

  /**
   * The fanout's own way to let a client go: through `remove`, so what it was still owed of its
   * join backlog is settled. A slow reader is ended (it takes what it was written first); a stalled
   * one is destroyed, as `end()` would wait behind the bytes of a player that does not read.
   */
  private drop(client: FanoutClient, reason: DropReason, stalledMs = 0): void {
    this.stats.clientsDropped++;
    this.remove(client);
    if (reason === 'stalled') client.sink.destroy();
    else client.sink.end();
    this.events.emit({
      type: 'player_dropped',
      stream_id: this.id,
      client_id: client.clientId,
      reason,
      skips: client.skips,
      stalled_ms: stalledMs,
    });
  }

  // Players give up after a few seconds of silence: fill gaps with null packets, between chunks only.
  private keepalive(): void {
    const now = Date.now();
    this.dropStalled(now);
    const silence = now - this.window.lastDataAt;
    if (silence < this.settings.keepaliveIntervalMs || silence > this.settings.keepaliveCapMs) return;
    for (const client of this.clients) {
      if (client.blocked || now - client.lastWriteAt < this.settings.keepaliveIntervalMs) continue;
      if (!this.writer.write(client, KEEPALIVE)) this.writer.waitForDrain(client);
    }
  }
}
