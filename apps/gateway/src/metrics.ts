// Worker reports for GET /metrics: each worker's counters, shared through one Redis hash so any
// worker can answer for the whole cluster (embedded mode: the one process's own).

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import type { StreamManager, WorkerSnapshot } from '@acestream-proxy/stream';

export interface WorkerReport extends WorkerSnapshot {
  worker: string;
  /** When it was taken, ms since the epoch. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface MetricsSource {
  /** Every live worker's latest report; this worker's is taken now. */
  reports(): Promise<WorkerReport[]>;
  close(): Promise<void>;
}

function report(worker: string, streams: StreamManager): WorkerReport {
  const memory = process.memoryUsage();
  return { worker, at: Date.now(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, ...streams.snapshot() };
}

function parseReport(json: string): WorkerReport | null {
  try {
    const parsed = JSON.parse(json) as WorkerReport;
    return typeof parsed.at === 'number' && typeof parsed.worker === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export class LocalMetrics implements MetricsSource {
  constructor(
    private readonly workerId: string,
    private readonly streams: StreamManager,
  ) {}

  async reports(): Promise<WorkerReport[]> {
    return [report(this.workerId, this.streams)];
  }

  async close(): Promise<void> {}
}

export interface RedisMetricsOptions {
  redis: Redis;
  keys: Keys;
  workerId: string;
  streams: StreamManager;
  /** How often this worker refreshes its report (PROXY_HEARTBEAT_INTERVAL), ms. */
  intervalMs: number;
  /** A report older than this belongs to a worker that is gone (the ghost timeout), ms. */
  staleMs: number;
}

/** One HSET per worker per interval; a scrape is one HGETALL, whatever the number of workers. */
export class RedisMetrics implements MetricsSource {
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: RedisMetricsOptions) {
    this.timer = setInterval(() => void this.publish().catch(() => {}), options.intervalMs);
    this.timer.unref();
    void this.publish().catch(() => {});
  }

  async reports(): Promise<WorkerReport[]> {
    const { redis, keys, workerId, streams, staleMs } = this.options;
    const stored = Object.entries(await redis.hgetall(keys.workerMetrics())).filter(([worker]) => worker !== workerId);
    // A worker whose heartbeat key is gone has died (its last report would count its players
    // until the report went stale).
    const beats = stored.length > 0 ? await redis.mget(stored.map(([worker]) => keys.workerHeartbeat(worker))) : [];
    const oldest = Date.now() - staleMs;
    const reports = [report(workerId, streams)];
    const gone: string[] = [];
    stored.forEach(([worker, json], i) => {
      const parsed = parseReport(json);
      if (!parsed || parsed.at < oldest || beats[i] === null) gone.push(worker);
      else reports.push(parsed);
    });
    if (gone.length > 0) await redis.hdel(keys.workerMetrics(), ...gone);
    return reports;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.options.redis.hdel(this.options.keys.workerMetrics(), this.options.workerId).catch(() => {});
  }

  private async publish(): Promise<void> {
    const { redis, keys, workerId, streams } = this.options;
    await redis.hset(keys.workerMetrics(), workerId, JSON.stringify(report(workerId, streams)));
  }
}
