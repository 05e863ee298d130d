// Builds the backends for one gateway process: Redis mode when REDIS_URL is set, embedded otherwise.

import { type ChunkStore, MemoryChunkStore, RedisChunkStore } from '@acestream-proxy/buffer';
import { type ClientRegistry, MemoryClientRegistry, RedisClientRegistry } from '@acestream-proxy/clients';
import type { ProxyConfig } from '@acestream-proxy/config';
import {
  type EventBus,
  MemoryEventBus,
  MemoryOwnerElection,
  MemoryWorkerPresence,
  type OwnerElection,
  RedisEventBus,
  RedisOwnerElection,
  RedisWorkerPresence,
  type WorkerPresence,
} from '@acestream-proxy/coordination';
import { type EngineLoad, MemoryEngineLoad, RedisEngineLoad, StaticEngineSource } from '@acestream-proxy/engine';
import { MemorySegmentStore, RedisSegmentStore, type SegmentStore } from '@acestream-proxy/hls';
import { Keys } from '@acestream-proxy/keys';
import {
  BullmqEventQueue,
  type EventQueue,
  MemoryEventQueue,
  NoopEventQueue,
  OrchestratorClient,
  OrchestratorEngineSource,
} from '@acestream-proxy/orchestrator';
import { connectRedis, type Redis, Subscriptions, waitReady, watchConnection } from '@acestream-proxy/redis';
import { type Logger, MemoryMetadataStore, type MetadataStore, RedisMetadataStore, StreamManager } from '@acestream-proxy/stream';
import { createHlsService, type HlsService, hlsRecorders, keptSegments } from './hls.js';
import { LocalMetrics, type MetricsSource, RedisMetrics } from './metrics.js';

export interface GatewayContext {
  config: ProxyConfig;
  workerId: string;
  logger: Logger;
  mode: 'redis' | 'embedded';
  /** Read views for the HTTP routes (the request-path connection in Redis mode). */
  store: ChunkStore;
  registry: ClientRegistry;
  metadata: MetadataStore;
  streams: StreamManager;
  /** HLS output: this worker's segment cache and player sessions. */
  hls: HlsService;
  /** Worker reports for /metrics: the whole cluster's in Redis mode. */
  metrics: MetricsSource;
  /** Resolves true when the backend answers (always true in embedded mode). */
  backendHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createContext(config: ProxyConfig, workerId: string, logger: Logger): Promise<GatewayContext> {
  const keys = new Keys(config.keyPrefix);
  let store: ChunkStore;
  let registry: ClientRegistry;
  let metadata: MetadataStore;
  /** What HTTP routes read: on the request connection in Redis mode, so an outage fails fast. */
  let reads: { store: ChunkStore; metadata: MetadataStore; segments: SegmentStore };
  let segments: SegmentStore;
  let election: OwnerElection;
  let bus: EventBus;
  let presence: WorkerPresence;
  let engineLoad: EngineLoad;
  let connections: Redis[] = [];
  let request: Redis | null = null;

  if (config.redisUrl) {
    request = connectRedis(config.redisUrl, 'request', workerId);
    const worker = connectRedis(config.redisUrl, 'worker', workerId);
    const subscriber = connectRedis(config.redisUrl, 'subscriber', workerId);
    connections = [request, worker, subscriber];
    for (const c of connections) watchConnection(c, logger);
    // A worker waits for Redis as long as it takes; meanwhile the primary answers 503.
    await Promise.all(connections.map((c) => waitReady(c)));
    const subscriptions = new Subscriptions(subscriber);
    store = new RedisChunkStore({ redis: worker, subscriptions, keys, ttlSeconds: config.bufferTtl });
    registry = new RedisClientRegistry({ redis: request, keys, ghostTimeoutMs: config.ghostTimeoutMs });
    metadata = new RedisMetadataStore(worker, keys);
    const hlsStore = { keys, keep: keptSegments(config), ttlSeconds: config.bufferTtl };
    segments = new RedisSegmentStore({ redis: worker, ...hlsStore });
    reads = {
      store: new RedisChunkStore({ redis: request, subscriptions, keys, ttlSeconds: config.bufferTtl }),
      metadata: new RedisMetadataStore(request, keys),
      segments: new RedisSegmentStore({ redis: request, ...hlsStore }),
    };
    election = new RedisOwnerElection(worker, keys, config.ownerTtlMs);
    bus = new RedisEventBus(worker, subscriptions, keys);
    engineLoad = new RedisEngineLoad(worker, keys);
    presence = new RedisWorkerPresence({
      redis: worker,
      keys,
      ttlMs: config.ownerTtlMs,
      listen: (channel, listener) => subscriptions.listen(channel, listener),
    });
  } else {
    store = new MemoryChunkStore(config.bufferTtl);
    registry = new MemoryClientRegistry();
    metadata = new MemoryMetadataStore();
    segments = new MemorySegmentStore(keptSegments(config));
    reads = { store, metadata, segments };
    election = new MemoryOwnerElection(config.ownerTtlMs);
    bus = new MemoryEventBus();
    presence = new MemoryWorkerPresence();
    engineLoad = new MemoryEngineLoad();
  }

  const orchestrator = config.orchestratorUrl
    ? new OrchestratorClient({ baseUrl: config.orchestratorUrl, apiKey: config.orchestratorApiKey })
    : null;
  const events: EventQueue = !orchestrator
    ? new NoopEventQueue()
    : config.redisUrl
      ? new BullmqEventQueue({ redisUrl: config.redisUrl, prefix: config.keyPrefix, client: orchestrator })
      : new MemoryEventQueue(orchestrator);

  const flush = config.flushIntervalMs;
  const behindChunks = Math.max(1, Math.ceil((config.initialBehindSeconds * 1000) / flush));
  const streams = new StreamManager({
    workerId,
    store,
    metadata,
    registry,
    election,
    bus,
    presence,
    // With an orchestrator, its engine list replaces ENGINES.
    engines: config.orchestratorUrl
      ? new OrchestratorEngineSource({ baseUrl: config.orchestratorUrl, apiKey: config.orchestratorApiKey })
      : new StaticEngineSource(config.engines),
    engineTimeoutMs: config.initTimeout * 1000,
    engineLoad,
    engineMaxStreams: config.engineMaxStreams,
    events,
    stream: {
      bufferChunkSize: config.bufferChunkSize,
      flushIntervalMs: flush,
      initTimeoutMs: config.initTimeout * 1000,
      noDataTimeoutMs: config.noDataTimeout * 1000,
      maxRetries: config.maxRetries,
      statIntervalMs: 5000,
      bufferTtlMs: config.bufferTtl * 1000,
    },
    fanout: {
      behindChunks,
      // Beyond the join window, how far a slow client may fall before it jumps to the live edge.
      cacheChunks: behindChunks + Math.ceil((config.clientBufferSeconds * 1000) / flush),
      keepaliveIntervalMs: config.keepaliveIntervalMs,
      // By then the owner has reconnected or failed the stream (which ends the players).
      keepaliveCapMs: config.initTimeout * 1000,
      maxSkips: 5,
      maxFetch: 256,
      // Two seconds covers the keyframe interval of nearly every live channel.
      entryWaitChunks: Math.ceil(2000 / flush),
    },
    chunkObservers: hlsRecorders(config, segments, logger),
    gracePeriodSeconds: config.gracePeriod,
    heartbeatIntervalMs: config.heartbeatInterval * 1000,
    logger,
  });

  await streams.start();
  const hls = createHlsService(config, { segments: reads.segments, chunks: reads.store }, streams, registry, workerId, logger);
  const metrics: MetricsSource =
    config.redisUrl && request
      ? new RedisMetrics({
          redis: request,
          keys,
          workerId,
          streams,
          // Every 2 s at most, so the workers' figures in one scrape agree with each other.
          intervalMs: Math.min(config.heartbeatInterval * 1000, 2000),
          staleMs: config.ghostTimeoutMs,
        })
      : new LocalMetrics(workerId, streams);

  return {
    config,
    workerId,
    logger,
    mode: config.redisUrl ? 'redis' : 'embedded',
    store: reads.store,
    registry,
    metadata: reads.metadata,
    streams,
    hls,
    metrics,
    async backendHealthy() {
      if (!request) return true;
      try {
        return (await request.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await metrics.close();
      hls.close();
      await streams.close();
      await events.close();
      for (const c of connections) c.disconnect();
    },
  };
}
