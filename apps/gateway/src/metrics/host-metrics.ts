// How a scrape of one host gathers its workers' figures (through Redis in the Redis modes), so
// that scraping every host counts each figure once; embedded mode's one process is the whole cluster.

import { hostname } from 'node:os';
import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { MetricJson, WorkerMetrics } from './worker-metrics.js';

/** Merges figures of several workers into one exposition; series never collide but on `shared` families. */
export function exposition(reports: MetricJson[][]): Promise<string> {
  // Every series carries its worker label or is a shared family meant to be summed, so `sum` is
  // right for all (prom-client's defaults would average or drop some default metrics).
  const summed = reports.map((metrics) => metrics.map((m) => ({ ...m, aggregator: 'sum' as const })));
  return AggregatorRegistry.aggregate(summed).metrics();
}

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** What a scrape of this process answers: its host's figures. */
export interface MetricsSource {
  readonly local: WorkerMetrics;
  /** The exposition text for this host (this worker's figures taken now, the others' latest). */
  scrape(): Promise<string>;
  /** Cluster-wide, from each owner's latest report: bytes read from the engine per stream, and when. */
  engineBytes(): Promise<Map<string, { bytes: number; at: number }>>;
  close(): Promise<void>;
}

function streamBytes(metrics: MetricJson[], at: number, into: Map<string, { bytes: number; at: number }>): void {
  const family = metrics.find((m) => m.name === 'acestream_proxy_stream_engine_bytes_total');
  for (const v of family?.values ?? []) {
    const id = v.labels.stream_id;
    if (typeof id === 'string') into.set(id, { bytes: v.value, at });
  }
}

/** Embedded mode: one process is the whole cluster. */
export class LocalMetrics implements MetricsSource {
  constructor(readonly local: WorkerMetrics) {}

  async scrape(): Promise<string> {
    return exposition([await this.local.json()]);
  }

  async engineBytes(): Promise<Map<string, { bytes: number; at: number }>> {
    return this.local.engineBytes();
  }

  async close(): Promise<void> {}
}

export interface RedisMetricsOptions {
  redis: Redis;
  keys: Keys;
  workerId: string;
  /** Workers sharing this name are scraped together (PROXY_METRICS_HOST, default the hostname). */
  host: string | null;
  local: WorkerMetrics;
  /** How often this worker refreshes its report, ms. */
  intervalMs: number;
  /** A report older than this belongs to a worker that is gone (the ghost timeout), ms. */
  staleMs: number;
}

interface StoredReport {
  worker: string;
  host: string;
  at: number;
  metrics: MetricJson[];
}

function parseReport(json: string): StoredReport | null {
  try {
    const parsed = JSON.parse(json) as StoredReport;
    return typeof parsed.at === 'number' && Array.isArray(parsed.metrics) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Redis mode: each worker stores its prom-client JSON in one hash every interval; a scrape merges
 * the reports of this host's live workers (the same PROXY_METRICS_HOST or hostname). Works the same
 * under our node:cluster primary and under pm2, where no primary of ours could gather them.
 */
export class RedisMetrics implements MetricsSource {
  readonly local: WorkerMetrics;
  private readonly timer: NodeJS.Timeout;
  private readonly host: string;

  constructor(private readonly options: RedisMetricsOptions) {
    this.local = options.local;
    this.host = options.host ?? hostname();
    this.timer = setInterval(() => void this.publish().catch(() => {}), options.intervalMs);
    this.timer.unref();
    void this.publish().catch(() => {});
  }

  async scrape(): Promise<string> {
    const others = (await this.others()).filter((r) => r.host === this.host);
    return exposition([await this.local.json(), ...others.map((r) => r.metrics)]);
  }

  async engineBytes(): Promise<Map<string, { bytes: number; at: number }>> {
    const bytes = new Map<string, { bytes: number; at: number }>();
    for (const r of await this.others()) streamBytes(r.metrics, r.at, bytes);
    for (const [id, sample] of this.local.engineBytes()) bytes.set(id, sample);
    return bytes;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.options.redis.hdel(this.options.keys.workerMetrics(), this.options.workerId).catch(() => {});
  }

  /** Every other live worker's latest report (any host); reports of dead workers are removed. */
  private async others(): Promise<StoredReport[]> {
    const { redis, keys, workerId, staleMs } = this.options;
    const stored = Object.entries(await redis.hgetall(keys.workerMetrics())).filter(([worker]) => worker !== workerId);
    // A worker whose heartbeat key is gone has died (its last report would count its players
    // until the report went stale).
    const beats = stored.length > 0 ? await redis.mget(stored.map(([worker]) => keys.workerHeartbeat(worker))) : [];
    const oldest = Date.now() - staleMs;
    const reports: StoredReport[] = [];
    const gone: string[] = [];
    stored.forEach(([worker, json], i) => {
      const parsed = parseReport(json);
      if (!parsed || parsed.at < oldest || beats[i] === null) gone.push(worker);
      else reports.push({ ...parsed, worker });
    });
    if (gone.length > 0) await redis.hdel(keys.workerMetrics(), ...gone);
    return reports;
  }

  private async publish(): Promise<void> {
    const { redis, keys, workerId } = this.options;
    const metrics = await this.local.json();
    const report: StoredReport = { worker: workerId, host: this.host, at: Date.now(), metrics };
    await redis.hset(keys.workerMetrics(), workerId, JSON.stringify(report));
  }
}
