// The node:cluster primary: owns the listening socket, forks workers, restarts crashed ones with
// backoff, announces deaths.

import cluster, { type Worker } from 'node:cluster';
import net from 'node:net';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import { RedisWorkerPresence } from '@acestream-proxy/coordination';
import { Keys } from '@acestream-proxy/keys';
import { watchConnection } from '@acestream-proxy/redis';
import type { Logger } from '@acestream-proxy/stream';
import { redisConnector } from './backends/index.js';
import { ConnectionDispatcher, LOAD, type LoadMessage, READY, TAKEN, type TakenMessage } from './dispatch.js';
import { exitOnListenError } from './listen-error.js';

/** A worker that lived this long is healthy again: its next crash restarts it at once. */
const STABLE_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
// Inside the 10 s Docker and pm2 wait before SIGKILL; workers give up on their own after 7 s.
const STOP_TIMEOUT_MS = 8_000;

export async function runPrimary(config: ProxyConfig, logger: Logger): Promise<void> {
  // Only ever called with a Redis mode configured (main.ts); the primary announces deaths.
  const connector = redisConnector(config)!;
  const redis = connector.connect('worker', `${hostname()}:${process.pid}:primary`);
  watchConnection(redis, logger);
  const presence = new RedisWorkerPresence({
    redis,
    keys: new Keys(config.keyPrefix, { hashTags: connector.hashTags }),
    ttlMs: config.ownerTtlMs,
    listen: async () => async () => {},
    publish: (channel, message) => connector.publish(redis, channel, message),
  });

  const startedAt = new Map<Worker, number>();
  let crashes = 0;
  let stopping = false;
  let reported = false;
  const ready = new Set<number>();
  const dispatcher = new ConnectionDispatcher(logger);

  // Workers do not listen: the primary accepts and hands each connection over (see dispatch.ts).
  const server = net.createServer({ pauseOnConnect: true }, (socket) => dispatcher.dispatch(socket));
  server.on('error', (err) => exitOnListenError(err, config));
  // A kick-off brings thousands of connections within a second: a deep accept queue (the kernel
  // caps it at net.core.somaxconn) keeps them from being dropped and retried a second later.
  await new Promise<void>((resolve) => server.listen({ port: config.port, host: config.host, backlog: 4096 }, resolve));
  const port = (server.address() as net.AddressInfo).port;

  const fork = () => {
    const worker = cluster.fork({ ACESTREAM_PROXY_DISPATCHED: '1' });
    startedAt.set(worker, Date.now());
    worker.on('message', (message: { type?: string }) => {
      if (message?.type === TAKEN) {
        dispatcher.taken(worker, (message as TakenMessage).ids);
        dispatcher.reportLoad(worker, (message as TakenMessage).connections);
      } else if (message?.type === LOAD) dispatcher.reportLoad(worker, (message as LoadMessage).connections);
      else if (message?.type === READY) onReady(worker);
    });
    worker.on('disconnect', () => dispatcher.removeWorker(worker));
  };

  const onReady = (worker: Worker) => {
    ready.add(worker.id);
    dispatcher.addWorker(worker);
    if (!reported && ready.size >= config.workers) {
      reported = true;
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', host: config.host, port, mode: config.redisMode === 'cluster' ? 'cluster' : 'redis', workers: config.workers, primary_pid: process.pid })}\n`,
      );
      logger.info('cluster listening', { port, workers: config.workers });
    }
  };

  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    dispatcher.removeWorker(worker);
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
    server.close();
    dispatcher.close();
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
