// A flash crowd of joins costs Redis one transaction per tick, not a round trip per player.
import { RedisClientRegistry } from '@acestream-proxy/clients';
import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { connectRedis, type Redis, waitReady } from '@acestream-proxy/redis';
import { freePort, type PrivateRedis, startPrivateRedis } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const a = parseStreamId('00000000000000000000000000000000000000a1');
const b = parseStreamId('00000000000000000000000000000000000000b2');
const info = (clientId: string) => ({
  clientId,
  ip: '127.0.0.1',
  userAgent: 'crowd',
  workerId: 'host:1',
  connectedAt: Date.now(),
});

describe('RedisClientRegistry registrations', () => {
  let server: PrivateRedis;
  let redis: Redis;
  const keys = new Keys('batch');
  beforeAll(async () => {
    // A private server: its command statistics count only this test's commands.
    server = await startPrivateRedis();
    // The request-path connection the gateway registers players on.
    redis = connectRedis(server.url, 'request', 'batch-test');
    await waitReady(redis, 5000);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('200 joins in one tick on two streams: one transaction per stream, every record complete', async () => {
    const registry = new RedisClientRegistry({ redis, keys, ghostTimeoutMs: 60_000 });
    const before = await server.commandCalls();
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id, i) => registry.register(i % 2 ? a : b, info(id))));
    const after = await server.commandCalls();
    expect((after.get('exec') ?? 0) - (before.get('exec') ?? 0)).toBe(2);
    expect((after.get('sadd') ?? 0) - (before.get('sadd') ?? 0)).toBe(2);
    expect(await registry.count(a)).toBe(100);
    expect(await registry.count(b)).toBe(100);
    const record = (await registry.list(a)).find((c) => c.clientId === 'c1');
    expect(record).toMatchObject({ userAgent: 'crowd', workerId: 'host:1', bytesSent: 0, skips: 0 });
    expect(await redis.pttl(keys.client(a, 'c1'))).toBeGreaterThan(50_000);
  });

  it('registrations made while Redis is away all fail, and none is left half written', async () => {
    const registry = new RedisClientRegistry({ redis, keys, ghostTimeoutMs: 60_000 });
    const c = parseStreamId('00000000000000000000000000000000000000c3');
    // Nothing listens there: the request connection fails at once instead of queueing.
    const down = connectRedis(`redis://127.0.0.1:${await freePort()}`, 'request', 'batch-test-down');
    down.on('error', () => {});
    const offline = new RedisClientRegistry({ redis: down, keys, ghostTimeoutMs: 60_000 });
    const results = await Promise.allSettled([offline.register(c, info('x')), offline.register(c, info('y'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await registry.count(c)).toBe(0);
    down.disconnect();
  });
});
