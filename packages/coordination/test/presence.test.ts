// WorkerPresence contract, run against memory, one Redis and a Redis Cluster.

import { MemoryWorkerPresence, RedisWorkerPresence, type WorkerPresence } from '@acestream-proxy/coordination';
import { Keys } from '@acestream-proxy/keys';
import { connectCluster, connectRedis, type Redis, ShardedSubscriptions, Subscriptions } from '@acestream-proxy/redis';
import { startRedisCluster, TEST_REDIS_URL, type TestRedis, testRedis, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

interface Setup {
  presence: WorkerPresence;
  /** Whether deaths announced are heard by listeners (not in embedded mode: one process). */
  broadcasts: boolean;
  teardown: () => Promise<void>;
}

function presenceSuite(name: string, setup: () => Promise<Setup>) {
  describe(`${name} WorkerPresence`, () => {
    let s: Setup;
    beforeAll(async () => {
      s = await setup();
    });
    afterAll(() => s.teardown());

    it('knows a beating worker is alive and a departed one is not', async () => {
      await s.presence.beat('host:1');
      await s.presence.beat('host:2');
      expect(await s.presence.isAlive('host:1')).toBe(true);
      await s.presence.leave('host:1');
      expect(await s.presence.isAlive('host:1')).toBe(false);
      expect(await s.presence.isAlive('host:2')).toBe(true);
      expect(await s.presence.isAlive('host:never')).toBe(false);
    });

    it('treats an announced death as final and tells the listeners', async () => {
      const heard: string[] = [];
      const off = await s.presence.onDeath((workerId) => heard.push(workerId));
      await s.presence.beat('host:3');
      await s.presence.announceDeath('host:3');
      expect(await s.presence.isAlive('host:3')).toBe(false);
      if (s.broadcasts) await waitFor(() => heard.includes('host:3'), { what: 'the death announcement' });
      await off();
    });
  });
}

presenceSuite('memory', async () => ({ presence: new MemoryWorkerPresence(), broadcasts: false, teardown: async () => {} }));

presenceSuite('redis', async () => {
  const t: TestRedis = await testRedis('presence');
  const sub: Redis = connectRedis(TEST_REDIS_URL, 'subscriber', 'test');
  const subscriptions = new Subscriptions(sub);
  return {
    presence: new RedisWorkerPresence({
      redis: t.redis,
      keys: new Keys(t.prefix),
      ttlMs: 30_000,
      listen: (channel, listener) => subscriptions.listen(channel, listener),
      publish: (channel, message) => subscriptions.publish(t.redis, channel, message),
    }),
    broadcasts: true,
    teardown: async () => {
      sub.disconnect();
      await t.cleanup();
    },
  };
});

presenceSuite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'worker', 'test');
  const sub = connectCluster(cluster.addresses, 'subscriber', 'test');
  const subscriptions = new ShardedSubscriptions(sub);
  return {
    presence: new RedisWorkerPresence({
      redis,
      keys: new Keys('ace_proxy', { hashTags: true }),
      ttlMs: 30_000,
      listen: (channel, listener) => subscriptions.listen(channel, listener),
      publish: (channel, message) => subscriptions.publish(redis, channel, message),
    }),
    broadcasts: true,
    teardown: async () => {
      redis.disconnect();
      sub.disconnect();
      await cluster.stop();
    },
  };
});
