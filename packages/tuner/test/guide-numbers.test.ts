// The GuideNumberStore contract on memory, one Redis and a Redis Cluster: numbers are stable,
// sources' numbers win when free, and a number left behind is not reused within a week.

import { Keys } from '@acestream-proxy/keys';
import { connectCluster } from '@acestream-proxy/redis';
import { startRedisCluster, type TestRedis, testRedis } from '@acestream-proxy/test-utils';
import {
  type GuideNumberStore,
  MemoryGuideNumberStore,
  type NumberRequest,
  RETIRED_HOLD_MS,
  RedisGuideNumberStore,
} from '@acestream-proxy/tuner';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const ch = (n: number) => n.toString(16).padStart(40, '0');
const auto = (...channels: number[]): NumberRequest[] => channels.map((n) => ({ channel: ch(n), wanted: null }));
const T0 = 1_700_000_000_000;

function suite(name: string, setup: () => Promise<{ store: () => GuideNumberStore; teardown: () => Promise<void> }>) {
  describe(`${name} GuideNumberStore`, () => {
    let store: () => GuideNumberStore;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(() => teardown());

    it('keeps numbers through a reorder that adds channels, and across a new store (a restart)', async () => {
      const first = await store().assign(auto(1, 2, 3), T0);
      expect([...first.values()]).toEqual(['1', '2', '3']);
      // Reordered, two new channels: the old three keep theirs, the new ones get the next free.
      const again = await store().assign(auto(3, 10, 1, 2, 11), T0 + 1000);
      expect(Object.fromEntries(again)).toEqual({ [ch(1)]: '1', [ch(2)]: '2', [ch(3)]: '3', [ch(10)]: '4', [ch(11)]: '5' });
    });

    it('gives a channel its tvg-chno when free, and never a number another channel asks for', async () => {
      const numbers = await store().assign(
        [{ channel: ch(20), wanted: null }, { channel: ch(21), wanted: '6' }, ...auto(1, 2, 3, 10, 11)],
        T0 + 2000,
      );
      expect(numbers.get(ch(21))).toBe('6');
      // 6 is asked for by ch(21), so ch(20) skips it even though it comes first.
      expect(numbers.get(ch(20))).toBe('7');
      // A tvg-chno held by another channel is not taken from it.
      const clash = await store().assign([...auto(1, 2, 3, 10, 11, 20, 21), { channel: ch(22), wanted: '1' }], T0 + 3000);
      expect(clash.get(ch(1))).toBe('1');
      expect(clash.get(ch(22))).toBe('8');
    });

    it('does not reuse a departed channel number within a week, and does after', async () => {
      const without = await store().assign(auto(1, 2, 3, 11, 20, 21, 22, 30), T0 + 4000);
      // ch(10) left, so 4 is retired; the newcomer gets 9.
      expect(without.get(ch(30))).toBe('9');
      const later = await store().assign(auto(1, 2, 3, 11, 20, 21, 22, 30, 31), T0 + 4000 + RETIRED_HOLD_MS - 1);
      expect(later.get(ch(31))).toBe('10');
      const weekOn = await store().assign(auto(1, 2, 3, 11, 20, 21, 22, 30, 31, 32), T0 + 4000 + RETIRED_HOLD_MS + 1);
      expect(weekOn.get(ch(32))).toBe('4');
    });

    it('keeps the first DeviceID stored', async () => {
      expect(await store().deviceId('1000000F')).toBe('1000000F');
      expect(await store().deviceId('13ABCDE0')).toBe('1000000F');
    });

    it('agrees with itself when many workers assign at once', async () => {
      const requests = auto(...Array.from({ length: 300 }, (_, i) => 1000 + i));
      const results = await Promise.all(Array.from({ length: 4 }, () => store().assign(requests, T0 + RETIRED_HOLD_MS * 3)));
      const numbers = [...results[0]!.values()];
      expect(new Set(numbers).size).toBe(300);
      for (const r of results) expect(r).toEqual(results[0]);
    });
  });
}

suite('memory', async () => {
  const memory = new MemoryGuideNumberStore();
  return { store: () => memory, teardown: async () => {} };
});

let t: TestRedis;
suite('redis', async () => {
  t = await testRedis('guide_numbers');
  const keys = new Keys(t.prefix);
  return { store: () => new RedisGuideNumberStore(t.redis, keys), teardown: () => t.cleanup() };
});

suite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'worker', 'test');
  const keys = new Keys('ace_proxy', { hashTags: true });
  return {
    store: () => new RedisGuideNumberStore(redis, keys),
    teardown: async () => {
      redis.disconnect();
      await cluster.stop();
    },
  };
});
