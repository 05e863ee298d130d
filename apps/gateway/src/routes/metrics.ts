// GET /metrics: Prometheus text for the whole cluster, from any worker — per-worker counters and
// gauges (label `worker`), and every running stream's state, players and engine figures.

import type { StreamId } from '@acestream-proxy/keys';
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

/** Per-worker series, one per report. */
const perWorker = (reports: WorkerReport[], value: (r: WorkerReport) => number): Sample[] =>
  reports.map((r) => [{ worker: r.worker }, value(r)]);

const WORKER_FAMILIES: Array<[string, 'counter' | 'gauge', string, (r: WorkerReport) => number]> = [
  ['acestream_proxy_clients', 'gauge', 'Players connected to the worker.', (r) => r.clients],
  ['acestream_proxy_streams_served', 'gauge', 'Streams the worker has players of.', (r) => r.streamsServed],
  ['acestream_proxy_streams_owned', 'gauge', 'Streams whose engine session the worker owns.', (r) => r.streamsOwned],
  [
    'acestream_proxy_clients_joined_total',
    'counter',
    'Players that joined a stream on the worker.',
    (r) => r.counters.clientsJoined,
  ],
  [
    'acestream_proxy_clients_dropped_total',
    'counter',
    'Players dropped for falling behind the buffer repeatedly.',
    (r) => r.counters.clientsDropped,
  ],
  ['acestream_proxy_client_skips_total', 'counter', 'Jumps of lagging players to the live edge.', (r) => r.counters.clientSkips],
  ['acestream_proxy_client_bytes_sent_total', 'counter', 'Bytes written to players.', (r) => r.counters.bytesSent],
  [
    'acestream_proxy_engine_bytes_received_total',
    'counter',
    'Bytes read from engines by streams the worker owned.',
    (r) => r.counters.engineBytes,
  ],
  [
    'acestream_proxy_chunks_appended_total',
    'counter',
    'Chunks the worker appended to stream buffers.',
    (r) => r.counters.chunksAppended,
  ],
  [
    'acestream_proxy_engine_reconnects_total',
    'counter',
    'Reconnects to an engine after its stream stalled or ended.',
    (r) => r.counters.engineReconnects,
  ],
  [
    'acestream_proxy_engine_switches_total',
    'counter',
    'Streams moved to another engine after repeated failures.',
    (r) => r.counters.engineSwitches,
  ],
  ['acestream_proxy_takeovers_total', 'counter', 'Streams the worker took over from a dead owner.', (r) => r.counters.takeovers],
  ['acestream_proxy_worker_resident_memory_bytes', 'gauge', 'Resident memory of the worker process.', (r) => r.rssBytes],
  ['acestream_proxy_worker_heap_used_bytes', 'gauge', 'V8 heap in use by the worker process.', (r) => r.heapUsedBytes],
];

async function streamFamilies(ctx: GatewayContext): Promise<string[]> {
  const ids = await ctx.metadata.list();
  const streams = await Promise.all(
    ids.map(async (id: StreamId) => ({ id, meta: await ctx.metadata.get(id), clients: await ctx.registry.count(id) })),
  );
  const running = streams.filter((s) => s.meta !== null);
  const byState = new Map<string, number>();
  for (const s of running) byState.set(s.meta!.state ?? 'unknown', (byState.get(s.meta!.state ?? 'unknown') ?? 0) + 1);
  const perStream = (value: (s: (typeof running)[number]) => number): Sample[] =>
    running.map((s) => [{ stream_id: s.id }, value(s)]);
  return [
    family(
      'acestream_proxy_streams',
      'gauge',
      'Streams in the cluster, by state.',
      [...byState].map(([state, n]) => [{ state }, n]),
    ),
    family(
      'acestream_proxy_stream_clients',
      'gauge',
      'Players of a stream across the cluster.',
      perStream((s) => s.clients),
    ),
    family(
      'acestream_proxy_stream_engine_bytes_total',
      'counter',
      "Bytes the stream read from its engine (as of the owner's last engine stat poll).",
      perStream((s) => Number(s.meta!.total_bytes ?? 0)),
    ),
    family(
      'acestream_proxy_stream_peers',
      'gauge',
      'Peers the engine reports for the stream.',
      perStream((s) => Number(s.meta!.peers ?? 0)),
    ),
    family(
      'acestream_proxy_stream_engine_speed_down',
      'gauge',
      'Download speed the engine reports for the stream (its unit, KB/s).',
      perStream((s) => Number(s.meta!.speed_down ?? 0)),
    ),
  ];
}

export function metrics(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      const reports = (await ctx.metrics.reports()).sort((a, b) => a.worker.localeCompare(b.worker));
      const body = [
        family('acestream_proxy_workers', 'gauge', 'Workers reporting.', [[{}, reports.length]]),
        ...WORKER_FAMILIES.map(([name, type, help, value]) => family(name, type, help, perWorker(reports, value))),
        ...(await streamFamilies(ctx)),
      ];
      res.type('text/plain; version=0.0.4; charset=utf-8').send(`${body.join('\n')}\n`);
    } catch (err) {
      next(err);
    }
  };
}
