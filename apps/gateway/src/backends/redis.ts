// Redis modes (one server or a Redis Cluster): the same backends over the connector's connections;
// only the connector knows which of the two it is.

import { RedisChunkStore } from '@acestream-proxy/buffer';
import { RedisClientRegistry } from '@acestream-proxy/clients';
import { RedisEventBus, RedisOwnerElection, RedisWorkerPresence } from '@acestream-proxy/coordination';
import { RedisEngineLoad } from '@acestream-proxy/engine';
import { RedisSecretStore, RedisSegmentStore } from '@acestream-proxy/hls';
import { Keys } from '@acestream-proxy/keys';
import { BullmqEventQueue } from '@acestream-proxy/orchestrator';
import { RedisPlaylistStore } from '@acestream-proxy/playlist';
import { type ConnectionLog, type RedisConnector, waitReady, watchConnection } from '@acestream-proxy/redis';
import { RedisMetadataStore } from '@acestream-proxy/stream';
import { RedisGuideNumberStore } from '@acestream-proxy/tuner';
import { RedisAuthFailures } from '../auth/redis-failures.js';
import { RedisLimitStore } from '../limits/redis-store.js';
import { RedisMetrics } from '../metrics/host-metrics.js';
import { RedisEventLog } from '../status/event-log.js';
import type { BackendSettings, Backends } from './types.js';

export async function redisBackends(
  connector: RedisConnector,
  prefix: string,
  settings: BackendSettings,
  log: ConnectionLog,
): Promise<Backends> {
  const { workerId } = settings;
  const keys = new Keys(prefix, { hashTags: connector.hashTags });
  const request = connector.connect('request', workerId);
  const worker = connector.connect('worker', workerId);
  const subscriber = connector.connect('subscriber', workerId);
  const connections = [request, worker, subscriber];
  for (const c of connections) watchConnection(c, log);
  // A worker waits for Redis as long as it takes; meanwhile the primary answers 503.
  await Promise.all(connections.map((c) => waitReady(c)));
  const subscriptions = connector.subscriptions(subscriber);
  const store = new RedisChunkStore({ redis: worker, subscriptions, keys, ttlSeconds: settings.bufferTtl });
  const metadata = new RedisMetadataStore(worker, keys);
  const hlsStore = { keys, keep: settings.hlsKeep, ttlSeconds: settings.bufferTtl };

  return {
    mode: connector.hashTags ? 'cluster' : 'redis',
    keys,
    store,
    metadata,
    segments: new RedisSegmentStore({ redis: worker, ...hlsStore }),
    reads: {
      store: new RedisChunkStore({ redis: request, subscriptions, keys, ttlSeconds: settings.bufferTtl }),
      metadata: new RedisMetadataStore(request, keys),
      segments: new RedisSegmentStore({ redis: request, ...hlsStore }),
    },
    registry: new RedisClientRegistry({ redis: request, keys, ghostTimeoutMs: settings.ghostTimeoutMs }),
    election: new RedisOwnerElection(worker, keys, settings.ownerTtlMs),
    bus: new RedisEventBus(worker, subscriptions, keys),
    presence: new RedisWorkerPresence({
      redis: worker,
      keys,
      ttlMs: settings.ownerTtlMs,
      listen: (channel, listener) => subscriptions.listen(channel, listener),
      publish: (channel, message) => subscriptions.publish(worker, channel, message),
    }),
    engineLoad: new RedisEngineLoad(worker, keys),
    eventQueue: (client, retry) =>
      new BullmqEventQueue({
        connection: () => connector.bullmq(`${workerId}:queue`),
        prefix: keys.queuePrefix(),
        client,
        retry,
      }),
    metrics: (local, host) =>
      new RedisMetrics({
        redis: request,
        keys,
        workerId,
        host,
        local,
        intervalMs: settings.metricsIntervalMs,
        staleMs: settings.ghostTimeoutMs,
      }),
    playlistStore: new RedisPlaylistStore({ reads: request, writes: worker, keys }),
    limits: new RedisLimitStore(request, keys),
    secrets: new RedisSecretStore(worker, keys),
    authFailures: new RedisAuthFailures(request, keys),
    guideNumbers: new RedisGuideNumberStore(worker, keys),
    ready: () => connections.every((c) => c.status === 'ready'),
    eventLog: new RedisEventLog(request, keys, workerId),
    async healthy() {
      try {
        return (await request.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      for (const c of connections) c.disconnect();
    },
  };
}
