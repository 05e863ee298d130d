// The connector of the configured Redis mode, apart from the backends: the cluster primary needs
// it and nothing else of theirs (see main.ts).

import type { ProxyConfig } from '@acestream-proxy/config';
import { type RedisConnector, redisCluster, singleRedis } from '@acestream-proxy/redis';

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
