// LimitStore contract (per client address player slots and new engine sessions), run against
// memory, one Redis and a Redis Cluster, on a clock the test moves.

import { Keys } from '@acestream-proxy/keys';
import { connectCluster } from '@acestream-proxy/redis';
import { startRedisCluster, testRedis } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisLimitStore } from '../src/limits/redis-store.js';
import { type LimitStore, MemoryLimitStore } from '../src/limits/store.js';

/** A clock the tests move by hand; every store scores slots and starts with it. */
const clock = { at: 1_000_000 };
const now = () => clock.at;

function limitStoreSuite(name: string, setup: () => Promise<{ store: LimitStore; teardown: () => Promise<void> }>) {
  describe(`${name} LimitStore`, () => {
    let store: LimitStore;
    let teardown: () => Promise<void>;
    // Addresses of their own per suite run: the shared Redis outlives the test.
    const a = '10.0.0.1';
    const b = 'fd00::2';
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(() => teardown());

    it('gives an address as many player slots as its limit, a player never counted twice', async () => {
      expect(await store.connect({ address: a, player: 'p1', ttlMs: 10_000 }, 2)).toBe(true);
      expect(await store.connect({ address: a, player: 'p1', ttlMs: 10_000 }, 2)).toBe(true);
      expect(await store.connect({ address: a, player: 'p2', ttlMs: 10_000 }, 2)).toBe(true);
      expect(await store.connect({ address: a, player: 'p3', ttlMs: 10_000 }, 2)).toBe(false);
      // Another address has slots of its own; 0 means no limit.
      expect(await store.connect({ address: b, player: 'p3', ttlMs: 10_000 }, 2)).toBe(true);
      expect(await store.connect({ address: a, player: 'p4', ttlMs: 10_000 }, 0)).toBe(true);
      await store.disconnect(a, 'p4');
      expect(await store.connections(a)).toBe(2);
      await store.disconnect(a, 'p1');
      expect(await store.connect({ address: a, player: 'p3', ttlMs: 10_000 }, 2)).toBe(true);
    });

    it("frees the slots nobody refreshes (a dead worker's players), and keeps the refreshed ones", async () => {
      clock.at += 5_000;
      // p2 and p3 at a, p3 at b: p2 and b's p3 refreshed in one call over two addresses.
      await store.refresh([
        { address: a, player: 'p2', ttlMs: 10_000 },
        { address: b, player: 'p3', ttlMs: 10_000 },
        { address: a, player: 'gone', ttlMs: 10_000 },
      ]);
      clock.at += 6_000;
      expect(await store.connections(a)).toBe(1);
      expect(await store.connections(b)).toBe(1);
      // A refresh does not bring back a slot that expired.
      await store.refresh([{ address: a, player: 'p3', ttlMs: 10_000 }]);
      expect(await store.connections(a)).toBe(1);
      expect(await store.connect({ address: a, player: 'p5', ttlMs: 10_000 }, 2)).toBe(true);
      expect(await store.connect({ address: a, player: 'p6', ttlMs: 10_000 }, 2)).toBe(false);
    });

    it('counts new engine sessions per address within the window, and says when the next may start', async () => {
      expect(await store.start(a, 's1', 2, 60_000)).toBe(0);
      clock.at += 20_000;
      expect(await store.start(a, 's2', 2, 60_000)).toBe(0);
      expect(await store.start(a, 's3', 2, 60_000)).toBe(40_000);
      expect(await store.start(b, 's3', 2, 60_000)).toBe(0);
      clock.at += 40_001;
      expect(await store.start(a, 's4', 2, 60_000)).toBe(0);
      expect(await store.start(a, 's5', 2, 60_000)).toBe(20_000 - 1);
    });
  });
}

limitStoreSuite('memory', async () => ({ store: new MemoryLimitStore(now), teardown: async () => {} }));

limitStoreSuite('redis', async () => {
  const t = await testRedis('limits');
  return { store: new RedisLimitStore(t.redis, new Keys(t.prefix), now), teardown: () => t.cleanup() };
});

limitStoreSuite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'worker', 'test');
  return {
    store: new RedisLimitStore(redis, new Keys('ace_proxy', { hashTags: true }), now),
    teardown: async () => {
      redis.disconnect();
      await cluster.stop();
    },
  };
});
