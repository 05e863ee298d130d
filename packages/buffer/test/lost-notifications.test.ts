// Pub/Sub is lossy: a subscriber that hears nothing re-reads the index, so a lost notification
// (a failover, a slot move, a dropped subscriber) costs latency, never data.

import { RedisChunkStore } from '@acestream-proxy/buffer';
import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { connectRedis, type Redis, Subscriptions } from '@acestream-proxy/redis';
import { TEST_REDIS_URL, type TestRedis, testRedis, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const id = parseStreamId('1234512345123451234512345123451234512345');

describe('RedisChunkStore subscribers', () => {
  let t: TestRedis;
  let subscriber: Redis;
  let store: RedisChunkStore;
  beforeAll(async () => {
    t = await testRedis('lost');
    subscriber = connectRedis(TEST_REDIS_URL, 'subscriber', 'test');
    store = new RedisChunkStore({
      redis: t.redis,
      subscriptions: new Subscriptions(subscriber),
      keys: new Keys(t.prefix),
      ttlSeconds: 60,
      silenceMs: 200,
    });
  });
  afterAll(async () => {
    subscriber.disconnect();
    await t.cleanup();
  });

  it('hear of an index whose notification never came, within the silence period', async () => {
    const heard: number[] = [];
    const off = await store.subscribe(id, (n) => heard.push(n));
    // Appended with no notification, as if the message had been lost.
    await t.redis.set(new Keys(t.prefix).bufferIndex(id), '7');
    await waitFor(() => heard.includes(7), { what: 'the index re-read', timeoutMs: 3000 });
    await off();
    const count = heard.length;
    await t.redis.set(new Keys(t.prefix).bufferIndex(id), '8');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(heard).toHaveLength(count);
    await store.drop(id);
  });

  it('re-reads the index once when the next notification is late (lateMs), long before the silence period', async () => {
    const late = new RedisChunkStore({
      redis: t.redis,
      subscriptions: new Subscriptions(subscriber),
      keys: new Keys(t.prefix),
      ttlSeconds: 60,
      silenceMs: 10_000,
      lateMs: 100,
    });
    const keys = new Keys(t.prefix);
    const heard: number[] = [];
    const off = await late.subscribe(id, (n) => heard.push(n));
    try {
      // A notification heard, then the next index appended without one (its packet lost).
      await t.redis.publish(keys.chunksChannel(id), '1');
      await waitFor(() => heard.includes(1), { what: 'the notification heard' });
      const lostAt = Date.now();
      await t.redis.set(keys.bufferIndex(id), '2');
      await waitFor(() => heard.includes(2), { what: 'the late index re-read', timeoutMs: 2000, intervalMs: 10 });
      expect(Date.now() - lostAt).toBeLessThan(1000);
      // Once per silence: a later index with no notification waits for the silence period.
      const count = heard.length;
      await t.redis.set(keys.bufferIndex(id), '3');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(heard).toHaveLength(count);
      // The next notification arms it again.
      await t.redis.publish(keys.chunksChannel(id), '3');
      await t.redis.set(keys.bufferIndex(id), '4');
      await waitFor(() => heard.includes(4), { what: 'the next late index re-read', timeoutMs: 2000, intervalMs: 10 });
    } finally {
      await off();
      await late.drop(id);
    }
  });
});
