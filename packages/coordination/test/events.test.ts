import { type EventBus, MemoryEventBus, RedisEventBus, type StreamEvent } from '@acestream-proxy/coordination';
import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { connectCluster, connectRedis, type Redis, ShardedSubscriptions, Subscriptions } from '@acestream-proxy/redis';
import { startRedisCluster, TEST_REDIS_URL, type TestRedis, testRedis, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const id = parseStreamId('9999999999999999999999999999999999999999');
const other = parseStreamId('8888888888888888888888888888888888888888');

function busSuite(name: string, setup: () => Promise<{ bus: EventBus; teardown: () => Promise<void> }>) {
  describe(`${name} EventBus`, () => {
    let bus: EventBus;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ bus, teardown } = await setup());
    });
    afterAll(() => teardown());

    it('delivers typed events to listeners of that stream only', async () => {
      const seen: StreamEvent[] = [];
      const seenOther: StreamEvent[] = [];
      const off = await bus.listen(id, (e) => seen.push(e));
      const offOther = await bus.listen(other, (e) => seenOther.push(e));
      await bus.publish({ type: 'client_connected', stream_id: id, client_id: 'c1', worker_id: 'h:1' });
      await bus.publish({
        type: 'stream_stopped',
        stream_id: id,
        reason: 'normal',
        message: 'grace period over',
      });
      await waitFor(() => seen.length === 2, { what: 'two events' });
      expect(seen.map((e) => e.type)).toEqual(['client_connected', 'stream_stopped']);
      expect(seenOther).toEqual([]);
      await off();
      await offOther();
    });
  });
}

busSuite('memory', async () => ({ bus: new MemoryEventBus(), teardown: async () => {} }));

let t: TestRedis;
let sub: Redis;
busSuite('redis', async () => {
  t = await testRedis('events');
  sub = connectRedis(TEST_REDIS_URL, 'subscriber', 'test');
  return {
    bus: new RedisEventBus(t.redis, new Subscriptions(sub), new Keys(t.prefix)),
    teardown: async () => {
      sub.disconnect();
      await t.cleanup();
    },
  };
});

busSuite('cluster', async () => {
  const cluster = await startRedisCluster();
  const redis = connectCluster(cluster.addresses, 'worker', 'test');
  const subscriber = connectCluster(cluster.addresses, 'subscriber', 'test');
  return {
    bus: new RedisEventBus(redis, new ShardedSubscriptions(subscriber), new Keys('ace_proxy', { hashTags: true })),
    teardown: async () => {
      redis.disconnect();
      subscriber.disconnect();
      await cluster.stop();
    },
  };
});
