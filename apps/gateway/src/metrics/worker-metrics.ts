// What each worker measures, with prom-client: its counters, gauges and histograms, and the
// per-stream figures of the streams it owns (host-metrics.ts gathers a host's workers for a scrape).

import { readdir } from 'node:fs/promises';
import type { ClientRegistry } from '@acestream-proxy/clients';
import { countersOf, type MetadataStore, type StreamManager, type Timings, type WorkerCounters } from '@acestream-proxy/stream';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import type { UserLabels } from './user-labels.js';

export type MetricJson = MetricObjectWithValues<MetricValue<string>>;

export interface MetricsOptions {
  workerId: string;
  streams: StreamManager;
  registry: ClientRegistry;
  metadata: MetadataStore;
  /** AUTH=token: per-user families, labelled by these (null = none, as with AUTH=none). */
  userLabels?: UserLabels | null;
}

/** The family of every worker counter (today's names): a counter added to WorkerStats needs one. */
const COUNTERS: { [K in keyof WorkerCounters]: [name: string, help: string] } = {
  clientsJoined: ['acestream_proxy_clients_joined_total', 'Players that joined a stream on the worker.'],
  joinsTrimmed: [
    'acestream_proxy_joins_trimmed_total',
    'Joins that got less backlog than PROXY_INITIAL_BEHIND_SECONDS (join burst budget full).',
  ],
  clientsDropped: ['acestream_proxy_clients_dropped_total', 'Players dropped for falling behind the buffer repeatedly.'],
  clientSkips: ['acestream_proxy_client_skips_total', 'Jumps of lagging players to the live edge.'],
  bytesSent: ['acestream_proxy_client_bytes_sent_total', 'Bytes written to players.'],
  engineBytes: ['acestream_proxy_engine_bytes_received_total', 'Bytes read from engines by streams the worker owned.'],
  chunksAppended: ['acestream_proxy_chunks_appended_total', 'Chunks the worker appended to stream buffers.'],
  engineReconnects: ['acestream_proxy_engine_reconnects_total', 'Reconnects to an engine after its stream stalled or ended.'],
  engineSwitches: ['acestream_proxy_engine_switches_total', 'Streams moved to another engine after repeated failures.'],
  takeovers: ['acestream_proxy_takeovers_total', 'Streams the worker took over from a dead owner.'],
};

/** Per-stream figures of the streams this worker owns: read once per collection, not per family. */
interface OwnedView {
  id: string;
  state: string;
  engineBytes: number;
  clients: number;
  peers: number;
  speedDown: number;
  /** AUTH=token: the stream's players and the bytes sent to them, by user label. */
  users: Map<string, { players: number; bytes: number }>;
}

const OPEN_FDS = 'process_open_fds';

/**
 * prom-client's `process_open_fds` lists /proc/self/fd with readdirSync at every collection (a
 * worker publishes its metrics every 2 s): with 1,500 players that held the event loop, and every
 * player's writes, for 1-3.5 ms on an idle machine and 14 ms in a profiled HLS bench. The same
 * gauge, listed on libuv's thread pool.
 */
function openFdsOffTheLoop(registry: Registry): void {
  if (!registry.getSingleMetric(OPEN_FDS)) return; // not Linux: prom-client has none either
  registry.removeSingleMetric(OPEN_FDS);
  new Gauge({
    name: OPEN_FDS,
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      // Less the one the listing itself held open; a failed listing leaves the last count, as prom-client's does.
      const fds = await readdir('/proc/self/fd').catch(() => null);
      if (fds) this.set(fds.length - 1);
    },
  });
}

/**
 * One worker's figures, in two registries:
 * - `worker`: labelled `worker="<id>"` (counters, gauges, histograms, Node's default process metrics);
 * - `shared`: no worker label, summed over a host's workers — the worker count, and per-stream
 *   figures that only a stream's owner reports (so each stream is counted once, wherever scraped).
 */
export class WorkerMetrics {
  readonly worker = new Registry();
  readonly shared = new Registry();
  readonly playerTtfb: Histogram;
  /** What the stream package's measurements feed (see Timings). */
  readonly timings: Timings;
  /** The owned streams' figures of the collection under way (see ownedView). */
  private view: Promise<OwnedView[]> | null = null;

  constructor(private readonly options: MetricsOptions) {
    const { workerId, streams } = options;
    const worker = this.worker;
    worker.setDefaultLabels({ worker: workerId });
    collectDefaultMetrics({ register: worker });
    openFdsOffTheLoop(worker);

    const stats = streams.stats;
    for (const [key, [name, help]] of Object.entries(COUNTERS) as Array<[keyof WorkerCounters, [string, string]]>) {
      new Counter({
        name,
        help,
        registers: [worker],
        collect() {
          this.reset();
          this.inc(countersOf(stats)[key]);
        },
      });
    }
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [worker],
        collect() {
          this.set(value());
        },
      });
    gauge('acestream_proxy_clients', 'Players connected to the worker.', () => streams.snapshot().clients);
    gauge('acestream_proxy_streams_served', 'Streams the worker has players of.', () => streams.snapshot().streamsServed);
    gauge(
      'acestream_proxy_streams_owned',
      'Streams whose engine session the worker owns.',
      () => streams.snapshot().streamsOwned,
    );
    gauge(
      'acestream_proxy_worker_resident_memory_bytes',
      'Resident memory of the worker process.',
      () => process.memoryUsage().rss,
    );
    gauge(
      'acestream_proxy_worker_heap_used_bytes',
      'V8 heap in use by the worker process.',
      () => process.memoryUsage().heapUsed,
    );

    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, buckets, registers: [worker] });
    this.playerTtfb = histogram(
      'acestream_proxy_player_ttfb_seconds',
      "From a player's request to the first byte of its response (includes the engine start for a stream's first player).",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    const firstPicture = histogram(
      'acestream_proxy_player_first_picture_seconds',
      "From a player's join to the first random access point (keyframe) written to it.",
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    );
    const engineStart = histogram(
      'acestream_proxy_engine_session_start_seconds',
      'From asking an engine for a session to its first byte (first start, reconnects and engine switches).',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    const takeoverGap = histogram(
      'acestream_proxy_owner_takeover_gap_seconds',
      'Silence the players of a taken-over stream saw on the worker that took it over.',
      [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
    );
    const chunkAge = histogram(
      'acestream_proxy_chunk_age_at_send_seconds',
      "Age of a stream's newest chunk when the worker had written it to its up-to-date players, from its announcement.",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    );
    this.timings = {
      firstPicture: (s) => firstPicture.observe(s),
      engineStart: (s) => engineStart.observe(s),
      takeoverGap: (s) => takeoverGap.observe(s),
      chunkAge: (s) => chunkAge.observe(s),
    };

    const shared = this.shared;
    new Gauge({
      name: 'acestream_proxy_workers',
      help: 'Workers reporting (on the scraped host).',
      registers: [shared],
      collect() {
        this.set(1);
      },
    });
    const owned = () => this.ownedView();
    new Gauge({
      name: 'acestream_proxy_streams',
      help: 'Streams, by state (each from its owner).',
      labelNames: ['state'],
      registers: [shared],
      async collect() {
        this.reset();
        for (const s of await owned()) this.inc({ state: s.state });
      },
    });
    const perStream = (name: string, help: string, value: (s: OwnedView) => number, type: 'gauge' | 'counter' = 'gauge') => {
      const Kind = type === 'gauge' ? Gauge : Counter;
      new Kind({
        name,
        help,
        labelNames: ['stream_id'],
        registers: [shared],
        async collect() {
          this.reset();
          for (const s of await owned()) this.inc({ stream_id: s.id }, value(s));
        },
      });
    };
    if (options.userLabels) {
      const perUser = (name: string, help: string, value: (u: { players: number; bytes: number }) => number) =>
        new Gauge({
          name,
          help,
          labelNames: ['user'],
          registers: [shared],
          async collect() {
            this.reset();
            for (const s of await owned()) for (const [user, figures] of s.users) this.inc({ user }, value(figures));
          },
        });
      perUser(
        'acestream_proxy_user_players',
        'Players of a user across the cluster (from each stream\'s owner); users past METRICS_USER_LABELS are summed as user="other".',
        (u) => u.players,
      );
      perUser(
        'acestream_proxy_user_player_bytes',
        'Bytes sent so far to the players a user has connected now (as of their last heartbeat); past METRICS_USER_LABELS as user="other".',
        (u) => u.bytes,
      );
    }
    perStream('acestream_proxy_stream_clients', 'Players of a stream across the cluster.', (s) => s.clients);
    perStream(
      'acestream_proxy_stream_engine_bytes_total',
      'Bytes the stream read from its engine (this owner).',
      (s) => s.engineBytes,
      'counter',
    );
    perStream('acestream_proxy_stream_peers', 'Peers the engine reports for the stream.', (s) => s.peers);
    perStream(
      'acestream_proxy_stream_engine_speed_down',
      'Download speed the engine reports for the stream (its unit, KB/s).',
      (s) => s.speedDown,
    );
  }

  /** Both registries as prom-client JSON (what a worker shares with the others of its host). */
  async json(): Promise<MetricJson[]> {
    this.view = null;
    return [...(await this.worker.getMetricsAsJSON()), ...(await this.shared.getMetricsAsJSON())] as MetricJson[];
  }

  /** Bytes each stream this worker owns has read from its engine, right now. */
  engineBytes(): Map<string, { bytes: number; at: number }> {
    const at = Date.now();
    return new Map(this.options.streams.ownedStreams().map((s) => [s.id, { bytes: s.totalBytes, at }]));
  }

  // The families of one collection all read the same view (one Redis round per stream, not four).
  private ownedView(): Promise<OwnedView[]> {
    if (this.view) return this.view;
    const { streams, registry, metadata, userLabels } = this.options;
    const label = userLabels?.labeller();
    this.view = Promise.all(
      streams.ownedStreams().map(async (s): Promise<OwnedView> => {
        const users = new Map<string, { players: number; bytes: number }>();
        // Per-user figures need the records themselves; without them a count is one command.
        const count = label
          ? Promise.all([registry.list(s.id), label]).then(([records, labelOf]) => {
              for (const c of records) {
                if (c.user === undefined) continue;
                const figures = users.get(labelOf(c.user)) ?? { players: 0, bytes: 0 };
                figures.players++;
                figures.bytes += c.bytesSent;
                users.set(labelOf(c.user), figures);
              }
              return records.length;
            })
          : registry.count(s.id);
        const [meta, clients] = await Promise.all([metadata.get(s.id).catch(() => null), count.catch(() => 0)]);
        return {
          users,
          id: s.id,
          state: s.state,
          engineBytes: s.totalBytes,
          clients,
          peers: Number(meta?.peers ?? 0),
          speedDown: Number(meta?.speed_down ?? 0),
        };
      }),
    );
    return this.view;
  }
}
