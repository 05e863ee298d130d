// Redis connections with the options DESIGN §5a asks for, one factory so every role is set up alike.

import { Cluster, Redis as IORedis, type RedisOptions } from 'ioredis';

/** A connection of any mode: one Redis server, or a Redis Cluster (same commands, one slot each). */
export type Redis = IORedis | Cluster;

/**
 * - `request`: on the client request path; no offline queue, so a Redis outage gives a fast error
 *   (the gateway answers 503) instead of a growing heap.
 * - `worker`: background work (appends, heartbeats); a few retries ride out a short blip.
 * - `subscriber`: Pub/Sub only; reconnects and re-subscribes by itself.
 * - `queue`: BullMQ's, which blocks and must never give up on a command.
 */
export type RedisRole = 'request' | 'worker' | 'subscriber' | 'queue';

export function connectRedis(url: string, role: RedisRole, name: string): IORedis {
  return new IORedis(url, roleOptions(role, name));
}

/** The options of DESIGN §5a for a role: shared by single-node connections and cluster nodes. */
export function roleOptions(role: RedisRole, name: string): RedisOptions {
  return {
    connectionName: `acestream-proxy:${name}:${role}`,
    lazyConnect: false,
    // A connect to a host whose link is cut gets no answer at all: try again soon rather than
    // after ioredis' 10 s, so a healed link is used within a few seconds.
    connectTimeout: 2000,
    // At most a second apart: a Redis back from a restart is used within a second.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    enableOfflineQueue: role !== 'request',
    maxRetriesPerRequest: role === 'request' ? 0 : role === 'worker' ? 3 : null,
  };
}

/**
 * Resolves once the connection is ready; with a `timeoutMs`, rejects with a readable message
 * when it is not ready by then (without one it waits for as long as Redis is away).
 */
export async function waitReady(redis: Redis, timeoutMs?: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup();
            reject(new Error(`Redis did not become ready within ${timeoutMs} ms (status ${redis.status})`));
          }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

export interface ConnectionLog {
  warn(message: string, meta: Record<string, unknown>): void;
  info(message: string, meta: Record<string, unknown>): void;
}

/**
 * Logs a connection's outage once (ioredis retries every few hundred ms, and each retry fails
 * with an error event) and its recovery, instead of a line per retry.
 */
export function watchConnection(redis: Redis, log: ConnectionLog): void {
  let down = false;
  const connection = redis instanceof Cluster ? redis.options.redisOptions?.connectionName : redis.options.connectionName;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn('redis unreachable, retrying', { connection, error: err.message });
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('redis connection restored', { connection });
  });
}
