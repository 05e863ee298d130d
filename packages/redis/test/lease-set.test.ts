// The one lease-set script behind per-address slots and per-user connections: a holder's heartbeat
// extends what it still holds, never brings back what lapsed or was ended, and cleans up with it.

import { LeaseSets, unheld } from '@acestream-proxy/redis';
import { type TestRedis, testRedis } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

let t: TestRedis;
let leases: LeaseSets;
beforeAll(async () => {
  t = await testRedis('lease-set');
  leases = new LeaseSets(t.redis);
});
afterAll(() => t.cleanup());

it('extends held leases, reports the lapsed and ended ones (which stay gone) and drops their fields beside the set', async () => {
  const set = `${t.prefix}:leases`;
  const beside = `${t.prefix}:leases:what`;
  const ended = `${t.prefix}:leases:ended`;
  const now = 1_000_000;
  await t.redis.zadd(set, now + 500, 'held', now - 1, 'lapsed');
  await t.redis.hset(beside, { held: 'a', lapsed: 'b' });
  await t.redis.zadd(ended, now + 5000, 'cut');

  const unheld = await leases.extend({ set, beside: [beside], ended }, now, [
    { member: 'held', ttlMs: 60_000 },
    { member: 'lapsed', ttlMs: 60_000 },
    { member: 'forgotten', ttlMs: 60_000 },
    { member: 'cut', ttlMs: 60_000 },
  ]);

  expect({ missing: unheld.missing.sort(), ended: unheld.ended }).toEqual({ missing: ['forgotten', 'lapsed'], ended: ['cut'] });
  expect(await t.redis.zrange(set, 0, -1, 'WITHSCORES')).toEqual(['held', String(now + 60_000)]);
  expect(await t.redis.hgetall(beside)).toEqual({ held: 'a' });
  // Both keys live at least as long as the longest lease.
  for (const key of [set, beside]) expect(await t.redis.pttl(key)).toBeGreaterThan(59_000);
});

it('queues on a pipeline: several sets in one round trip', async () => {
  const [one, two] = [`${t.prefix}:one`, `${t.prefix}:two`];
  const now = Date.now();
  await t.redis.zadd(one, now + 1000, 'p');
  const pipeline = t.redis.pipeline();
  leases.queue(pipeline, { set: one }, now, [{ member: 'p', ttlMs: 5000 }]);
  leases.queue(pipeline, { set: two }, now, [{ member: 'q', ttlMs: 5000 }]);
  const replies = (await pipeline.exec())!.map(([err, reply]) => [err, unheld(reply as [unknown[], unknown[]])]);
  expect(replies).toEqual([
    [null, { missing: [], ended: [] }],
    [null, { missing: ['q'], ended: [] }],
  ]);
  expect(Number(await t.redis.zscore(one, 'p'))).toBe(now + 5000);
  expect(await t.redis.exists(two)).toBe(0);
});
