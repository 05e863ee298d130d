// GET /metrics: Prometheus text for the whole cluster, from any worker — per-worker counters and
// gauges (label `worker`), and every running stream's state, players and engine figures.

import type { StreamId } from '@acestream-proxy/keys';
import type { StreamMetadata } from '@acestream-proxy/stream';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import type { WorkerReport } from '../metrics.js';

type Labels = Record<string, string>;
type Sample = [Labels, number];

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    lines.push(`${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
  return lines.join('\n');
}

type Counters = WorkerReport['counters'];

/** The family of every worker counter: a counter added to WorkerStats does not compile without one. */
const COUNTERS: { [K in keyof Counters]: [name: string, help: string] } = {
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

const WORKER_GAUGES: Array<[name: string, help: string, value: (r: WorkerReport) => number]> = [
  ['acestream_proxy_clients', 'Players connected to the worker.', (r) => r.clients],
  ['acestream_proxy_streams_served', 'Streams the worker has players of.', (r) => r.streamsServed],
  ['acestream_proxy_streams_owned', 'Streams whose engine session the worker owns.', (r) => r.streamsOwned],
  ['acestream_proxy_worker_resident_memory_bytes', 'Resident memory of the worker process.', (r) => r.rssBytes],
  ['acestream_proxy_worker_heap_used_bytes', 'V8 heap in use by the worker process.', (r) => r.heapUsedBytes],
];

function workerFamilies(reports: WorkerReport[]): string[] {
  const perWorker = (value: (r: WorkerReport) => number): Sample[] => reports.map((r) => [{ worker: r.worker }, value(r)]);
  const counters = Object.entries(COUNTERS) as Array<[keyof Counters, [string, string]]>;
  return [
    family('acestream_proxy_workers', 'gauge', 'Workers reporting.', [[{}, reports.length]]),
    ...WORKER_GAUGES.map(([name, help, value]) => family(name, 'gauge', help, perWorker(value))),
    ...counters.map(([key, [name, help]]) =>
      family(
        name,
        'counter',
        help,
        perWorker((r) => r.counters[key]),
      ),
    ),
  ];
}

interface RunningStream {
  id: StreamId;
  meta: StreamMetadata;
  clients: number;
}

const STREAM_FAMILIES: Array<[name: string, type: 'counter' | 'gauge', help: string, value: (s: RunningStream) => number]> = [
  ['acestream_proxy_stream_clients', 'gauge', 'Players of a stream across the cluster.', (s) => s.clients],
  [
    'acestream_proxy_stream_engine_bytes_total',
    'counter',
    "Bytes the stream read from its engine (as of the owner's last engine stat poll).",
    (s) => Number(s.meta.total_bytes ?? 0),
  ],
  ['acestream_proxy_stream_peers', 'gauge', 'Peers the engine reports for the stream.', (s) => Number(s.meta.peers ?? 0)],
  [
    'acestream_proxy_stream_engine_speed_down',
    'gauge',
    'Download speed the engine reports for the stream (its unit, KB/s).',
    (s) => Number(s.meta.speed_down ?? 0),
  ],
];

async function streamFamilies(ctx: GatewayContext): Promise<string[]> {
  const streams: RunningStream[] = [];
  await Promise.all(
    (await ctx.metadata.list()).map(async (id) => {
      const [meta, clients] = await Promise.all([ctx.metadata.get(id), ctx.registry.count(id)]);
      if (meta) streams.push({ id, meta, clients });
    }),
  );
  streams.sort((a, b) => a.id.localeCompare(b.id));
  const byState = new Map<string, number>();
  for (const { meta } of streams) byState.set(meta.state ?? 'unknown', (byState.get(meta.state ?? 'unknown') ?? 0) + 1);
  return [
    family(
      'acestream_proxy_streams',
      'gauge',
      'Streams in the cluster, by state.',
      [...byState].map(([state, n]) => [{ state }, n]),
    ),
    ...STREAM_FAMILIES.map(([name, type, help, value]) =>
      family(
        name,
        type,
        help,
        streams.map((s) => [{ stream_id: s.id }, value(s)]),
      ),
    ),
  ];
}

export function metrics(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      const reports = (await ctx.metrics.reports()).sort((a, b) => a.worker.localeCompare(b.worker));
      const body = [...workerFamilies(reports), ...(await streamFamilies(ctx))];
      res.type('text/plain; version=0.0.4; charset=utf-8').send(`${body.join('\n')}\n`);
    } catch (err) {
      next(err);
    }
  };
}
