// EngineLoad contract (streams per engine, start claims), run against memory, one Redis and a Redis Cluster.

import { type EngineLoad, MemoryEngineLoad, RedisEngineLoad } from '@acestream-proxy/engine';
import { Keys } from '@acestream-proxy/keys';
import { connectCluster } from '@acestream-proxy/redis';
import { startRedisCluster, type TestRedis, testRedis } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const engines = ['10.0.0.1:6878', '10.0.0.2:6878', '10.0.0.3:6878'];

function engineLoadSuite(name: string, setup: () => Promise<{ load: EngineLoad; teardown: () => Promise<void> }>) {
  describe(`${name} EngineLoad`, () => {
    let load: EngineLoad;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ load, teardown } = await setup());
    });
    afterAll(async () => {
      for (const e of engines) for (const s of ['s1', 's2', 's3']) await load.remove(e, s);
      await teardown();
    });

    it('counts streams per engine, read for several engines at once', async () => {
      await load.add(engines[0]!, 's1');
      await load.add(engines[0]!, 's2');
      await load.add(engines[2]!, 's3');
      expect(Object.fromEntries(await load.counts(engines))).toEqual({
        [engines[0]!]: 2,
        [engines[1]!]: 0,
        [engines[2]!]: 1,
      });
      await load.remove(engines[0]!, 's1');
      expect((await load.counts(engines)).get(engines[0]!)).toBe(1);
    });

    it('counts a start claim as one more stream until the stream is added', async () => {
      await load.claim(engines[1]!, 10_000);
      expect((await load.counts(engines)).get(engines[1]!)).toBe(1);
      await load.add(engines[1]!, 's1');
      expect((await load.counts(engines)).get(engines[1]!)).toBe(1);
    });
  });
}

engineLoadSuite('memory', async () => ({ load: new MemoryEngineLoad(), teardown: async () => {} }));

engineLoadSuite('redis', async () => {
  const t: TestRedis = await testRedis('engine_load');
  return {
    load: new RedisEngineLoad(t.redis, new Keys(t.prefix)),
    teardown: async () => {
      expect(await t.keys()).toEqual([]);
      await t.cleanup();
    },
  };
});

engineLoadSuite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'worker', 'test');
  return {
    load: new RedisEngineLoad(redis, new Keys('ace_proxy', { hashTags: true })),
    teardown: async () => {
      redis.disconnect();
      await cluster.stop();
    },
  };
});
