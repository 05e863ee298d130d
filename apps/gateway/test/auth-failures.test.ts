// AuthFailures contract (wrong API keys per address, then a block), run against memory, one Redis
// and a Redis Cluster.

import { Keys } from '@acestream-proxy/keys';
import { connectCluster, waitReady } from '@acestream-proxy/redis';
import { startRedisCluster, type TestRedis, testRedis } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AuthFailures, BLOCK_MS, FAILURE_LIMIT, MemoryAuthFailures } from '../src/auth/failures.js';
import { RedisAuthFailures } from '../src/auth/redis-failures.js';

function authFailuresSuite(name: string, setup: () => Promise<{ failures: AuthFailures; teardown: () => Promise<void> }>) {
  describe(`${name} AuthFailures`, () => {
    let failures: AuthFailures;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ failures, teardown } = await setup());
    });
    afterAll(() => teardown());

    it(`blocks an address for BLOCK_MS at its ${FAILURE_LIMIT}th wrong key, and only that address`, async () => {
      for (let i = 1; i < FAILURE_LIMIT; i++) expect(await failures.fail('192.0.2.1')).toBe(0);
      expect(await failures.blockedFor('192.0.2.1')).toBe(0);
      const blockedMs = await failures.fail('192.0.2.1');
      expect(blockedMs).toBeGreaterThan(BLOCK_MS - 1000);
      expect(blockedMs).toBeLessThanOrEqual(BLOCK_MS);
      expect(await failures.blockedFor('192.0.2.1')).toBeGreaterThan(BLOCK_MS - 1000);
      expect(await failures.blockedFor('192.0.2.2')).toBe(0);
      expect(await failures.blockedFor('2001:db8::1')).toBe(0);
    });
  });
}

authFailuresSuite('memory', async () => ({ failures: new MemoryAuthFailures(), teardown: async () => {} }));

authFailuresSuite('redis', async () => {
  const t: TestRedis = await testRedis('auth_failures');
  return {
    failures: new RedisAuthFailures(t.redis, new Keys(t.prefix)),
    teardown: async () => {
      // Counters expire: nothing kept for ever.
      for (const key of await t.keys()) expect(await t.redis.pttl(key)).toBeGreaterThan(0);
      await t.cleanup();
    },
  };
});

authFailuresSuite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'request', 'test');
  await waitReady(redis);
  return {
    failures: new RedisAuthFailures(redis, new Keys('ace_proxy', { hashTags: true })),
    teardown: async () => {
      redis.disconnect();
      await cluster.stop();
    },
  };
});

describe('MemoryAuthFailures', () => {
  it('forgets an address once its block is over', async () => {
    let now = 0;
    const failures = new MemoryAuthFailures(() => now);
    for (let i = 0; i < FAILURE_LIMIT; i++) await failures.fail('192.0.2.1');
    expect(await failures.blockedFor('192.0.2.1')).toBe(BLOCK_MS);
    now += BLOCK_MS;
    expect(await failures.blockedFor('192.0.2.1')).toBe(0);
    expect(await failures.fail('192.0.2.1')).toBe(0);
  });
});
