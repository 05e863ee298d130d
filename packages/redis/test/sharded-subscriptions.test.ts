// Sharded Pub/Sub on a real Redis Cluster keeps delivering after a slot migration and a master
// failover, and tells listeners to catch up after each re-subscription.

import { connectCluster, type Redis, ShardedSubscriptions } from '@acestream-proxy/redis';
import { startRedisCluster, type TestCluster, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';

const channel = 'ace_proxy:stream:{0123456789abcdef0123456789abcdef01234567}:chunks';
const slot = calculateSlot('0123456789abcdef0123456789abcdef01234567');

describe('ShardedSubscriptions on a Redis Cluster', () => {
  let cluster: TestCluster;
  let publisher: Redis;
  let subscriber: Redis;
  let subscriptions: ShardedSubscriptions;
  const received: string[] = [];
  let resubscribed = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    publisher = connectCluster(cluster.addresses, 'worker', 'test');
    subscriber = connectCluster(cluster.addresses, 'subscriber', 'test');
    for (const c of [publisher, subscriber]) c.on('error', () => {});
    subscriptions = new ShardedSubscriptions(subscriber);
    subscriptions.onResubscribe(() => resubscribed++);
    await subscriptions.listen(channel, (message) => received.push(message.toString()));
  });
  afterAll(async () => {
    publisher.disconnect();
    subscriber.disconnect();
    await cluster.stop();
  });

  /** Publishes `n` every 100 ms until it arrives: a publish during the switch may be lost. */
  async function deliversAgain(n: string, timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        await subscriptions.publish(publisher, channel, n).catch(() => {});
        return received.includes(n);
      },
      { what: `message ${n} to arrive`, timeoutMs, intervalMs: 100 },
    );
  }

  it('delivers on the master of the channel slot, published with SPUBLISH', async () => {
    expect(subscriptions.publishCommand).toBe('SPUBLISH');
    await deliversAgain('1', 5000);
    const master = await cluster.masterOf(slot);
    const numsub = (await master.redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    expect(Number(numsub[1])).toBe(1);
  });

  it('keeps delivering after the slot moves to another master, and asks listeners to catch up', async () => {
    const before = resubscribed;
    const from = await cluster.masterOf(slot);
    const to = (await cluster.masters()).find((m) => m !== from)!;
    await cluster.migrateSlot(slot, to);
    await deliversAgain('2', 10_000);
    expect((await cluster.masterOf(slot)).port).toBe(to.port);
    await waitFor(() => resubscribed > before, { what: 'a resubscribe notice', timeoutMs: 5000 });
  });

  it('keeps delivering after the master of the slot is killed and its replica promoted', async () => {
    const before = resubscribed;
    const master = await cluster.masterOf(slot);
    await cluster.kill(master);
    await deliversAgain('3', 20_000);
    await waitFor(() => resubscribed > before, { what: 'a resubscribe notice', timeoutMs: 5000 });
  });
});
