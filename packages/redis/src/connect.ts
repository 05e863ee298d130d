// Redis connections with the options DESIGN §5a asks for, one factory so every role is set up alike.

import { Redis, type RedisOptions } from 'ioredis';

/**
 * - `request`: on the client request path; no offline queue, so a Redis outage gives a fast error
 *   (the gateway answers 503) instead of a growing heap.
 * - `worker`: background work (appends, heartbeats); a few retries ride out a short blip.
 * - `subscriber`: Pub/Sub only; reconnects and re-subscribes by itself.
 */
export type RedisRole = 'request' | 'worker' | 'subscriber';

export function connectRedis(url: string, role: RedisRole, name: string): Redis {
  const options: RedisOptions = {
    connectionName: `acestream-proxy:${name}:${role}`,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    enableOfflineQueue: role !== 'request',
    maxRetriesPerRequest: role === 'request' ? 0 : role === 'worker' ? 3 : null,
  };
  return new Redis(url, options);
}

/** Resolves once the connection is ready; rejects with a readable message otherwise. */
export async function waitReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
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
