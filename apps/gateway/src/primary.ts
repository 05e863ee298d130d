// The node:cluster primary: forks workers, restarts crashed ones with backoff, announces deaths.

import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import { RedisWorkerPresence } from '@acestream-proxy/coordination';
import { Keys } from '@acestream-proxy/keys';
import { connectRedis } from '@acestream-proxy/redis';
import type { Logger } from '@acestream-proxy/stream';

/** A worker that lived this long is healthy again: its next crash restarts it at once. */
const STABLE_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export async function runPrimary(config: ProxyConfig, logger: Logger): Promise<void> {
  const redisUrl = config.redisUrl!;
  const redis = connectRedis(redisUrl, 'worker', `${hostname()}:${process.pid}:primary`);
  redis.on('error', (err) => logger.warn('redis connection error', { error: err.message }));
  const presence = new RedisWorkerPresence({
    redis,
    keys: new Keys(config.keyPrefix),
    ttlMs: config.ownerTtlMs,
    listen: async () => async () => {},
  });

  const startedAt = new Map<Worker, number>();
  let crashes = 0;
  let stopping = false;
  let reported = false;
  const listening = new Set<number>();

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    if (!reported && listening.size >= config.workers) {
      reported = true;
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', host: config.host, port: address.port, mode: 'redis', workers: config.workers, primary_pid: process.pid })}\n`,
      );
      logger.info('cluster listening', { port: address.port, workers: config.workers });
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    const pid = worker.process.pid;
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    const deadId = `${hostname()}:${pid}`;
    logger.error('worker died', { worker_pid: pid, code, signal });
    // Others take its streams over now instead of waiting for its heartbeat to expire.
    presence.announceDeath(deadId).catch((err: Error) => logger.warn('could not announce worker death', { error: err.message }));
    crashes = lived > STABLE_AFTER_MS ? 0 : crashes + 1;
    const delay = crashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** crashes);
    logger.info('restarting worker', { delay_ms: delay });
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping cluster', { signal });
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    for (const w of workers) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  for (let i = 0; i < config.workers; i++) fork();
}
