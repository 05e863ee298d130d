// Picks the backends factory for the configured mode: the one place that reads REDIS_URL /
// REDIS_CLUSTER_NODES (DESIGN §12).

import type { ProxyConfig } from '@acestream-proxy/config';
import { type ConnectionLog, singleRedis } from '@acestream-proxy/redis';
import { keptSegments } from '../hls.js';
import { redisConnector } from './connector.js';
import { memoryBackends } from './memory.js';
import { redisBackends } from './redis.js';
import type { Backends } from './types.js';

export { redisConnector } from './connector.js';
export type { BackendMode, Backends } from './types.js';

export function createBackends(config: ProxyConfig, workerId: string, log: ConnectionLog): Promise<Backends> {
  const settings = {
    workerId,
    bufferTtl: config.bufferTtl,
    ghostTimeoutMs: config.ghostTimeoutMs,
    ownerTtlMs: config.ownerTtlMs,
    // Every 2 s at most, so the workers' figures in one scrape agree with each other.
    metricsIntervalMs: Math.min(config.heartbeatInterval * 1000, 2000),
    hlsKeep: keptSegments(config),
    // A live stream announces a chunk every flush interval: half of one more is a late notification.
    lateNotificationMs: Math.round(config.flushIntervalMs * 1.5),
  };
  const connector = redisConnector(config);
  const state = config.redisStateUrl ? singleRedis(config.redisStateUrl) : null;
  return connector
    ? redisBackends(connector, config.keyPrefix, settings, log, state)
    : Promise.resolve(memoryBackends(config.keyPrefix, settings));
}
