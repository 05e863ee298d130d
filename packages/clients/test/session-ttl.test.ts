// HLS sessions in the registry: kind hls, counted while refreshed, gone a TTL after the last refresh.

import { type ClientRegistry, MemoryClientRegistry, RedisClientRegistry } from '@acestream-proxy/clients';
import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { type TestRedis, testRedis, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const id = parseStreamId('00000000000000000000000000000000000000bb');

function suite(name: string, setup: () => Promise<{ registry: ClientRegistry; teardown: () => Promise<void> }>) {
  describe(`${name} ClientRegistry with HLS sessions`, () => {
    let registry: ClientRegistry;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ registry, teardown } = await setup());
    });
    afterAll(async () => {
      await registry.drop(id);
      await teardown();
    });

    it('counts a session while it is refreshed and drops it a TTL after the last refresh', async () => {
      const session = {
        clientId: 's1',
        kind: 'hls' as const,
        ttlMs: 1500,
        ip: '::1',
        userAgent: 'hls.js',
        workerId: 'w',
        connectedAt: Date.now(),
      };
      await registry.register(id, session);
      await registry.register(id, { clientId: 't1', ip: '::1', userAgent: 'VLC', workerId: 'w', connectedAt: Date.now() });
      expect((await registry.list(id)).map((c) => [c.clientId, c.kind]).sort()).toEqual([
        ['s1', 'hls'],
        ['t1', 'ts'],
      ]);
      // Refreshed past its first TTL, it is still there.
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await registry.heartbeat([{ streamId: id, clientId: 's1', bytesSent: 1000 * i, skips: 0, ttlMs: 1500 }]);
      }
      expect(await registry.sweep(id)).toBe(2);
      // Not refreshed any more: gone, and the TS player (ghost timeout) stays.
      await waitFor(async () => (await registry.sweep(id)) === 1, { what: 'the session to expire', timeoutMs: 5000 });
      expect((await registry.list(id)).map((c) => c.clientId)).toEqual(['t1']);
    });
  });
}

let t: TestRedis;
suite('Redis', async () => {
  t = await testRedis('hls-sessions');
  return {
    registry: new RedisClientRegistry({ redis: t.redis, keys: new Keys(t.prefix), ghostTimeoutMs: 60_000 }),
    teardown: () => t.cleanup(),
  };
});
suite('memory', async () => ({ registry: new MemoryClientRegistry(), teardown: async () => {} }));
