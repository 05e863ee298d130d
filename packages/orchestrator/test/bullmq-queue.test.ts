// Orchestrator events through BullMQ on one Redis and on a Redis Cluster (all queue keys in one slot).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BullmqEventQueue, OrchestratorClient } from '@acestream-proxy/orchestrator';
import { scanKeys } from '@acestream-proxy/redis';
import { backendSuite, keySlot, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const started = {
  container_id: 'engine-1',
  engine: { host: '127.0.0.1', port: 6878 },
  stream: { key_type: 'infohash' as const, key: 'a'.repeat(40) },
  session: { playback_session_id: 'p1', stat_url: 'http://x/stat', command_url: 'http://x/cmd', is_live: 1 },
  labels: { source: 'proxy' as const, worker_id: 'h:1', stream_id: 'a'.repeat(40) },
};

backendSuite(
  'BullMQ orchestrator events',
  (backend) => {
    let server: http.Server;
    const posted: string[] = [];
    let queue: BullmqEventQueue;

    beforeAll(async () => {
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
    });

    it('delivers stream_started then stream_ended (on a cluster, with every queue key in one slot)', async () => {
      await queue.started('s1', started);
      await queue.ended('s1', { container_id: 'engine-1', stream_id: 'a'.repeat(40), reason: 'normal' });
      await waitFor(() => posted.length === 2, { what: 'two events delivered', timeoutMs: 15_000 });
      expect(posted).toEqual(['/events/stream_started', '/events/stream_ended']);
      if (backend.kind === 'cluster') {
        const redis = await backend.connect();
        const found: string[] = [];
        for await (const batch of scanKeys(redis, `${backend.keys.queuePrefix()}:*`)) found.push(...batch);
        expect(found.length).toBeGreaterThan(0);
        expect(new Set(found.map((k) => keySlot(k))).size).toBe(1);
      }
    });
  },
  { only: ['redis', 'cluster'] },
);
