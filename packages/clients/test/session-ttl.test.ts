// HLS sessions in the registry: kind hls, counted while refreshed, gone a TTL after the last refresh.

import { type ClientRegistry, MemoryClientRegistry, RedisClientRegistry } from '@acestream-proxy/clients';
import { parseStreamId } from '@acestream-proxy/keys';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('00000000000000000000000000000000000000bb');

backendSuite('ClientRegistry with HLS sessions', (backend) => {
  let registry: ClientRegistry;
  beforeAll(async () => {
    registry =
      backend.kind === 'memory'
        ? new MemoryClientRegistry()
        : new RedisClientRegistry({ redis: await backend.connect(), keys: backend.keys, ghostTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await registry.drop(id);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('counts a session while it is refreshed and drops it a TTL after the last refresh', async () => {
    const session = {
      clientId: 's1',
      kind: 'hls' as const,
      ttlMs: 800,
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
    // Refreshed every 300 ms past its first TTL (800 ms), it is still there.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await registry.heartbeat([{ streamId: id, clientId: 's1', bytesSent: 1000 * i, skips: 0, ttlMs: 800 }]);
    }
    expect(await registry.sweep(id)).toBe(2);
    // Not refreshed any more: gone, and the TS player (ghost timeout) stays.
    await waitFor(async () => (await registry.sweep(id)) === 1, { what: 'the session to expire', timeoutMs: 5000 });
    expect((await registry.list(id)).map((c) => c.clientId)).toEqual(['t1']);
  });
});
