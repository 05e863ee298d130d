import {
  type ClientRegistry,
  MAX_IP_LENGTH,
  MAX_USER_AGENT_LENGTH,
  MemoryClientRegistry,
  RedisClientRegistry,
} from '@acestream-proxy/clients';
import { parseStreamId } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('00000000000000000000000000000000000000aa');
const info = (clientId: string, workerId = 'host:1') => ({
  clientId,
  ip: '127.0.0.1',
  userAgent: 'VLC/3.0.20',
  workerId,
  connectedAt: Date.now(),
});

backendSuite('ClientRegistry', (backend) => {
  let registry: ClientRegistry;
  beforeAll(async () => {
    registry =
      backend.kind === 'memory'
        ? new MemoryClientRegistry()
        : new RedisClientRegistry({ redis: await backend.connect('request'), keys: backend.keys, ghostTimeoutMs: 50_000 });
  });
  afterAll(async () => {
    await registry.drop(id);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('registers clients and counts them', async () => {
    await registry.register(id, info('a'));
    await registry.register(id, info('b', 'host:2'));
    expect(await registry.count(id)).toBe(2);
    const list = await registry.list(id);
    expect(list.map((c) => c.clientId).sort()).toEqual(['a', 'b']);
    expect(list.find((c) => c.clientId === 'b')?.workerId).toBe('host:2');
    expect(list[0]?.userAgent).toBe('VLC/3.0.20');
  });

  it('stores a 15 KB user agent cut to its first 256 characters, and a bogus address cut too', async () => {
    const agent = `Mozilla/5.0 ${'x'.repeat(15_000)}`;
    await registry.register(id, { ...info('long'), userAgent: agent, ip: '1'.repeat(1000) });
    const long = (await registry.list(id)).find((c) => c.clientId === 'long')!;
    expect(long.userAgent).toBe(agent.slice(0, MAX_USER_AGENT_LENGTH));
    expect(long.ip).toHaveLength(MAX_IP_LENGTH);
    await registry.unregister(id, 'long');
  });

  it('records heartbeat activity', async () => {
    await registry.heartbeat([{ streamId: id, clientId: 'a', bytesSent: 4096, skips: 1 }]);
    const a = (await registry.list(id)).find((c) => c.clientId === 'a');
    expect(a?.bytesSent).toBe(4096);
    expect(a?.skips).toBe(1);
  });

  it('records heartbeats of several streams in one call', async () => {
    const second = parseStreamId('00000000000000000000000000000000000000bb');
    await registry.register(second, info('s2'));
    await registry.heartbeat([
      { streamId: id, clientId: 'b', bytesSent: 188, skips: 0 },
      { streamId: second, clientId: 's2', bytesSent: 376, skips: 2 },
    ]);
    expect((await registry.list(second))[0]?.bytesSent).toBe(376);
    expect((await registry.list(id)).find((c) => c.clientId === 'b')?.bytesSent).toBe(188);
    await registry.drop(second);
  });

  it('removes every client of a dead worker at once', async () => {
    await registry.register(id, info('d1', 'host:dead'));
    await registry.register(id, info('d2', 'host:dead'));
    expect(await registry.count(id)).toBe(4);
    expect(await registry.removeWorker(id, 'host:dead')).toBe(2);
    expect((await registry.list(id)).map((c) => c.clientId).sort()).toEqual(['a', 'b']);
  });

  it('unregister returns the remaining count', async () => {
    expect(await registry.unregister(id, 'a')).toBe(1);
    expect(await registry.unregister(id, 'b')).toBe(0);
    expect(await registry.count(id)).toBe(0);
  });
});

// What operators see on one Redis: the set of ids and a hash per client that expires with it.
backendSuite(
  'ClientRegistry layout',
  (backend) => {
    let redis: Redis;
    const { prefix } = backend;
    beforeAll(async () => {
      redis = await backend.connect();
    });

    it('keeps the operator-visible set and an expiring hash per client', async () => {
      const registry = new RedisClientRegistry({
        redis,
        keys: backend.keys,
        ghostTimeoutMs: 50_000,
      });
      await registry.register(id, info('c1'));
      expect(await redis.smembers(`${prefix}:stream:${id}:clients`)).toEqual(['c1']);
      const hash = await redis.hgetall(`${prefix}:stream:${id}:clients:c1`);
      expect(hash.worker_id).toBe('host:1');
      const ttl = await redis.pttl(`${prefix}:stream:${id}:clients:c1`);
      expect(ttl).toBeGreaterThan(40_000);
      await registry.drop(id);
      expect(await backend.leftovers()).toEqual([]);
    });

    it('sweeps ids whose record expired with its worker', async () => {
      const registry = new RedisClientRegistry({
        redis,
        keys: backend.keys,
        ghostTimeoutMs: 200,
      });
      await registry.register(id, info('ghost'));
      const live = new RedisClientRegistry({
        redis,
        keys: backend.keys,
        ghostTimeoutMs: 60_000,
      });
      await live.register(id, info('live'));
      await waitFor(async () => (await redis.exists(`${prefix}:stream:${id}:clients:ghost`)) === 0, {
        what: 'the ghost record to expire',
      });
      expect(await registry.count(id)).toBe(2);
      expect(await registry.sweep(id)).toBe(1);
      expect(await redis.smembers(`${prefix}:stream:${id}:clients`)).toEqual(['live']);
      await registry.drop(id);
    });
  },
  { only: ['redis'] },
);
