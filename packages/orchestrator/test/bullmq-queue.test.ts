// Orchestrator events through BullMQ on one Redis and on a Redis Cluster (all queue keys in one slot).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Keys } from '@acestream-proxy/keys';
import { BullmqEventQueue, OrchestratorClient } from '@acestream-proxy/orchestrator';
import { type RedisConnector, redisCluster, scanKeys, singleRedis } from '@acestream-proxy/redis';
import { keySlot, startRedisCluster, TEST_REDIS_URL, testRedis, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const started = {
  container_id: 'engine-1',
  engine: { host: '127.0.0.1', port: 6878 },
  stream: { key_type: 'infohash' as const, key: 'a'.repeat(40) },
  session: { playback_session_id: 'p1', stat_url: 'http://x/stat', command_url: 'http://x/cmd', is_live: 1 },
  labels: { source: 'proxy' as const, worker_id: 'h:1', stream_id: 'a'.repeat(40) },
};

interface Backend {
  connector: RedisConnector;
  keys: Keys;
  /** Every key the queue left, on a cluster (where they must share one slot); null elsewhere. */
  queueKeys: (() => Promise<string[]>) | null;
  stop(): Promise<void>;
}

function queueSuite(name: string, setup: () => Promise<Backend>) {
  describe(`BullMQ orchestrator events on ${name}`, () => {
    let backend: Backend;
    let server: http.Server;
    const posted: string[] = [];
    let queue: BullmqEventQueue;

    beforeAll(async () => {
      backend = await setup();
      server = http.createServer((req, res) => {
        posted.push(req.url ?? '');
        req.resume();
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = new OrchestratorClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      queue = new BullmqEventQueue({
        connection: () => backend.connector.bullmq('test'),
        prefix: backend.keys.queuePrefix(),
        client,
      });
    });
    afterAll(async () => {
      await queue.close();
      server.close();
      await backend.stop();
    });

    it('delivers stream_started then stream_ended (on a cluster, with every queue key in one slot)', async () => {
      await queue.started('s1', started);
      await queue.ended('s1', { container_id: 'engine-1', stream_id: 'a'.repeat(40), reason: 'normal' });
      await waitFor(() => posted.length === 2, { what: 'two events delivered', timeoutMs: 15_000 });
      expect(posted).toEqual(['/events/stream_started', '/events/stream_ended']);
      if (backend.queueKeys) {
        const slots = new Set((await backend.queueKeys()).map((k) => keySlot(k)));
        expect(slots.size).toBe(1);
      }
    });
  });
}

queueSuite('one Redis', async () => {
  const t = await testRedis('bullmq');
  const keys = new Keys(t.prefix);
  return {
    connector: singleRedis(TEST_REDIS_URL),
    keys,
    queueKeys: null,
    stop: () => t.cleanup(),
  };
});

queueSuite('a Redis Cluster', async () => {
  const cluster = await startRedisCluster();
  const keys = new Keys('ace_proxy', { hashTags: true });
  return {
    connector: redisCluster(cluster.addresses),
    keys,
    async queueKeys() {
      const found: string[] = [];
      for await (const batch of scanKeys(cluster.redis, '*')) found.push(...batch);
      expect(found.length).toBeGreaterThan(0);
      return found;
    },
    stop: () => cluster.stop(),
  };
});
