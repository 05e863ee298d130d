// The node:cluster primary: binds the listening socket the workers accept from, forks workers,
// restarts crashed ones with backoff, announces deaths.

import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import { RedisWorkerPresence } from '@acestream-proxy/coordination';
import { Keys } from '@acestream-proxy/keys';
import { watchConnection } from '@acestream-proxy/redis';
import type { Logger } from '@acestream-proxy/stream';
import { redisConnector } from '../backends/connector.js';
import { exitOnListenError } from '../http/listen-error.js';
import { AcceptBalancer } from './accept-balancer.js';
import {
  ACCEPT,
  bindSharedSocket,
  LISTEN,
  LOAD,
  type LoadMessage,
  PAUSE,
  READY,
  WANT,
  type WantMessage,
} from './shared-socket.js';

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

  // Bound here, listened on and accepted from by the workers (see shared-socket.ts).
  const { handle: socket, port } = await bindSharedSocket(config).catch((err: NodeJS.ErrnoException) =>
    exitOnListenError(err, config),
  );
  const balancer = new AcceptBalancer<Worker>((worker, accept) => {
    if (!worker.isConnected()) return;
    // A send fails only when the worker is going away; its exit removes it from the balancer.
    worker.send({ type: accept ? ACCEPT : PAUSE }, undefined, () => {});
  });

  // Copies of the socket each worker still wants, sent one at a time: node queues every message
  // behind a handle until the worker acknowledges it, and an ACCEPT or a PAUSE must not wait
  // behind a batch of copies (see shared-socket.ts).
  const copiesWanted = new Map<Worker, number>();
  const sendingCopy = new Set<Worker>();
  const sendCopies = (worker: Worker) => {
    const wanted = copiesWanted.get(worker) ?? 0;
    if (wanted <= 0 || sendingCopy.has(worker) || !worker.isConnected()) return;
    copiesWanted.set(worker, wanted - 1);
    sendingCopy.add(worker);
    worker.send({ type: LISTEN }, socket as never, () => {
      sendingCopy.delete(worker);
      sendCopies(worker);
    });
  };

  const fork = () => {
    const worker = cluster.fork({ ACESTREAM_PROXY_SHARED_SOCKET: '1' });
    startedAt.set(worker, Date.now());
    worker.on('message', (message: { type?: string }) => {
      if (message?.type === LOAD) balancer.report(worker, (message as LoadMessage).connections);
      else if (message?.type === WANT) {
        copiesWanted.set(worker, (message as WantMessage).copies);
        sendCopies(worker);
      } else if (message?.type === READY) onReady(worker);
    });
    worker.on('disconnect', () => {
      balancer.remove(worker);
      copiesWanted.delete(worker);
    });
  };

  const onReady = (worker: Worker) => {
    ready.add(worker.id);
    balancer.ready(worker);
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
    balancer.remove(worker);
    const pid = worker.process.pid;
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    const deadId = `${hostname()}:${pid}`;
    logger.error('worker died', { worker_pid: pid, code, signal });
    // Others take its streams over now instead of waiting for its heartbeat to expire.
    presence.announceDeath(deadId).catch((err: Error) => logger.warn('could not announce worker death', { error: err.message }));
    crashes = lived > STABLE_AFTER_MS ? 0 : crashes + 1;
    const delay = crashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, config.workerRestartBackoffMs * 2 ** crashes);
    logger.info('restarting worker', { delay_ms: delay });
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping cluster', { signal });
    socket.close();
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
