// Redis modes (one server or a Redis Cluster): the same backends over the connector's connections;
// only the connector knows which of the two it is.

import { RedisAdmissionStore, RedisUserStore } from '@acestream-proxy/accounts';
import { RedisChunkStore } from '@acestream-proxy/buffer';
import { RedisClientRegistry } from '@acestream-proxy/clients';
import { RedisEventBus, RedisOwnerElection, RedisWorkerPresence } from '@acestream-proxy/coordination';
import { RedisEngineLoad } from '@acestream-proxy/engine';
import { RedisGuideStore } from '@acestream-proxy/epg';
import { RedisSegmentStore } from '@acestream-proxy/hls';
import { Keys } from '@acestream-proxy/keys';
import { BullmqEventQueue } from '@acestream-proxy/orchestrator';
import { RedisPlaylistStore } from '@acestream-proxy/playlist';
import { type ConnectionLog, type RedisConnector, RedisLink, waitReady, watchConnection } from '@acestream-proxy/redis';
import { RedisSentinelStore, RedisWriteOnce } from '@acestream-proxy/state';
import { RedisMetadataStore } from '@acestream-proxy/stream';
import { RedisGuideNumberStore } from '@acestream-proxy/tuner';
import { RedisAuthFailures } from '../auth/redis-failures.js';
import { RedisOperatorSessions } from '../auth/sessions.js';
import { RedisLimitStore } from '../limits/redis-store.js';
import { RedisMetrics } from '../metrics/host-metrics.js';
import { RedisEventLog } from '../status/event-log.js';
import type { BackendSettings, Backends, StateConnector } from './types.js';

/**
 * A PING every quarter second per connection, unanswered after one second = Redis unreachable:
 * /health fails within 1.25 s of a cut (HAProxy then stops sending players here), and a
 * working Redis answers a PING in well under a millisecond, or a few RTTs on a lossy link.
 */
export const LINK_PING_INTERVAL_MS = 250;
export const LINK_PING_TIMEOUT_MS = 1000;

export async function redisBackends(
  connector: RedisConnector,
  prefix: string,
  settings: BackendSettings,
  log: ConnectionLog,
  stateConnector: StateConnector = null,
): Promise<Backends> {
  const { workerId } = settings;
  const keys = new Keys(prefix, { hashTags: connector.hashTags });
  const request = connector.connect('request', workerId);
  const worker = connector.connect('worker', workerId);
  const subscriber = connector.connect('subscriber', workerId);
  // Durable state (DESIGN §19) on its own small persistent Redis when REDIS_STATE_URL is set, so
  // the buffers' churn never goes through its AOF; else beside the streams. Its keys carry the
  // `{state}` tag either way (one slot on a cluster).
  const state = stateConnector
    ? { request: stateConnector.connect('request', workerId), worker: stateConnector.connect('worker', workerId) }
    : { request, worker };
  const connections = [request, worker, subscriber, ...(stateConnector ? [state.request, state.worker] : [])];
  for (const c of connections) watchConnection(c, log);
  // A worker waits for Redis as long as it takes; meanwhile the primary answers 503.
  await Promise.all(connections.map((c) => waitReady(c)));
  // A cut link leaves sockets "ready" while nothing comes back: PINGs with a deadline tell.
  // The streams' connections only: a separate durable-state Redis that cannot be reached fails
  // /health (below) and the requests that need it, but players of running streams keep playing.
  const link = new RedisLink([request, worker, subscriber], {
    intervalMs: LINK_PING_INTERVAL_MS,
    timeoutMs: LINK_PING_TIMEOUT_MS,
  });
  const subscriptions = connector.subscriptions(subscriber);
  const chunkStore = { subscriptions, keys, ttlSeconds: settings.bufferTtl, lateMs: settings.lateNotificationMs };
  const store = new RedisChunkStore({ redis: worker, ...chunkStore });
  const metadata = new RedisMetadataStore(worker, keys);
  const hlsStore = { keys, keep: settings.hlsKeep, ttlSeconds: settings.bufferTtl };

  return {
    mode: connector.hashTags ? 'cluster' : 'redis',
    keys,
    store,
    metadata,
    segments: new RedisSegmentStore({ redis: worker, ...hlsStore }),
    reads: {
      store: new RedisChunkStore({ redis: request, ...chunkStore }),
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
    playlistStore: new RedisPlaylistStore({ reads: state.request, writes: state.worker, keys }),
    // The last good guide copies are durable state too (DESIGN §19): an empty streams' Redis keeps them.
    guideStore: new RedisGuideStore({ reads: state.request, writes: state.worker, keys }),
    limits: new RedisLimitStore(request, keys),
    operatorSessions: new RedisOperatorSessions(request, keys),
    authFailures: new RedisAuthFailures(request, keys),
    guideNumbers: new RedisGuideNumberStore(state.worker, keys),
    // Looked up on the request path (a token per player request): the request connection fails fast.
    users: new RedisUserStore(state.request, keys),
    admission: new RedisAdmissionStore(request, keys),
    durable: {
      sentinel: new RedisSentinelStore(state.worker, keys),
      hlsSecret: new RedisWriteOnce(state.worker, keys.hlsSecret()),
      describe: (stateConnector ?? connector).describe,
    },
    link,
    ready: () => link.up && connections.every((c) => c.status === 'ready'),
    eventLog: new RedisEventLog(request, keys, workerId),
    async healthy() {
      if (!link.up) return false;
      // Answered within the link's deadline, or unhealthy: HAProxy's check must not hang on it.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('late'), LINK_PING_TIMEOUT_MS);
      });
      try {
        const pings = Promise.all([request, ...(stateConnector ? [state.request] : [])].map((c) => c.ping()));
        const answer = await Promise.race([pings, late]);
        return Array.isArray(answer) && answer.every((p) => p === 'PONG');
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      link.close();
      for (const c of connections) c.disconnect();
    },
  };
}
