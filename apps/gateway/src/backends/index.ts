// Picks the backends factory for the configured mode: the one place that reads REDIS_URL /
// REDIS_CLUSTER_NODES (DESIGN §12).

import type { ProxyConfig } from '@acestream-proxy/config';
import { type ConnectionLog, type RedisConnector, redisCluster, singleRedis } from '@acestream-proxy/redis';
import { keptSegments } from '../hls.js';
import { memoryBackends } from './memory.js';
import { redisBackends } from './redis.js';
import type { Backends } from './types.js';

export type { BackendMode, Backends } from './types.js';

/** The connector of the configured Redis mode; null in embedded mode. */
export function redisConnector(config: ProxyConfig): RedisConnector | null {
  switch (config.redisMode) {
    case 'cluster':
      return redisCluster(config.redisClusterNodes ?? []);
    case 'single':
      return singleRedis(config.redisUrl ?? '');
    case 'embedded':
      return null;
  }
}

export function createBackends(config: ProxyConfig, workerId: string, log: ConnectionLog): Promise<Backends> {
  const settings = {
    workerId,
    bufferTtl: config.bufferTtl,
    ghostTimeoutMs: config.ghostTimeoutMs,
    ownerTtlMs: config.ownerTtlMs,
    // Every 2 s at most, so the workers' figures in one scrape agree with each other.
    metricsIntervalMs: Math.min(config.heartbeatInterval * 1000, 2000),
    hlsKeep: keptSegments(config),
  };
  const connector = redisConnector(config);
  const state = config.redisStateUrl ? singleRedis(config.redisStateUrl) : null;
  return connector
    ? redisBackends(connector, config.keyPrefix, settings, log, state)
    : Promise.resolve(memoryBackends(config.keyPrefix, settings));
}
