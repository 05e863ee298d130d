// REDIS_URL and REDIS_CLUSTER_NODES choose the Redis mode; both at once is refused.

import { ConfigError, loadConfig } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: '/nonexistent/.env' });

describe('Redis mode', () => {
  it('is embedded with neither variable, single with REDIS_URL, cluster with REDIS_CLUSTER_NODES', () => {
    expect(load({}).config.redisMode).toBe('embedded');
    expect(load({ REDIS_URL: 'redis://127.0.0.1:6379' }).config.redisMode).toBe('single');
    const { config } = load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.example:7001' });
    expect(config.redisMode).toBe('cluster');
    expect(config.redisUrl).toBeNull();
    expect(config.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-2.example', port: 7001 },
    ]);
  });

  it('warns when ownership would not outlive a cluster failover', () => {
    expect(load({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).warnings.join('\n')).toMatch(/PROXY_OWNER_TTL_MS=3000.*failover/);
    expect(load({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', PROXY_OWNER_TTL_MS: '6000' }).warnings).toEqual([]);
    expect(load({ REDIS_URL: 'redis://127.0.0.1:6379' }).warnings).toEqual([]);
  });

  it('refuses REDIS_CLUSTER_NODES together with REDIS_URL, naming both', () => {
    const both = () => load({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(both).toThrow(ConfigError);
    expect(both).toThrow(/REDIS_CLUSTER_NODES="127.0.0.1:7000".*REDIS_URL/);
  });

  it.each(['7000', 'host:', 'host:70000', ','])('refuses REDIS_CLUSTER_NODES=%s with the allowed form', (value) => {
    expect(() => load({ REDIS_CLUSTER_NODES: value })).toThrow(/REDIS_CLUSTER_NODES=.*host:port/);
  });
});
