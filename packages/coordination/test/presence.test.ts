// WorkerPresence contract, run against memory, one Redis and a Redis Cluster.

import { MemoryWorkerPresence, RedisWorkerPresence, type WorkerPresence } from '@acestream-proxy/coordination';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { beforeAll, expect, it } from '@jest/globals';

backendSuite('WorkerPresence', (backend) => {
  let presence: WorkerPresence;
  beforeAll(async () => {
    if (backend.kind === 'memory') {
      presence = new MemoryWorkerPresence();
      return;
    }
    const redis = await backend.connect();
    const subscriptions = await backend.subscriptions();
    presence = new RedisWorkerPresence({
      redis,
      keys: backend.keys,
      ttlMs: 30_000,
      listen: (channel, listener) => subscriptions.listen(channel, listener),
      publish: (channel, message) => subscriptions.publish(redis, channel, message),
    });
  });

  it('knows a beating worker is alive and a departed one is not', async () => {
    await presence.beat('host:1');
    await presence.beat('host:2');
    expect(await presence.isAlive('host:1')).toBe(true);
    await presence.leave('host:1');
    expect(await presence.isAlive('host:1')).toBe(false);
    expect(await presence.isAlive('host:2')).toBe(true);
    expect(await presence.isAlive('host:never')).toBe(false);
  });

  it('treats an announced death as final and tells the listeners', async () => {
    const heard: string[] = [];
    const off = await presence.onDeath((workerId) => heard.push(workerId));
    await presence.beat('host:3');
    await presence.announceDeath('host:3');
    expect(await presence.isAlive('host:3')).toBe(false);
    // Embedded mode is one process: nobody else to tell.
    if (backend.kind !== 'memory') await waitFor(() => heard.includes('host:3'), { what: 'the death announcement' });
    await off();
  });
});
