// A worker's owner role and takeover watch over shared backends (in memory or on a suite's Redis), for the owner tests.

import { randomBytes } from 'node:crypto';
import { type ChunkStore, MemoryChunkStore, RedisChunkStore } from '@acestream-proxy/buffer';
import { type ClientRegistry, MemoryClientRegistry, RedisClientRegistry } from '@acestream-proxy/clients';
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
import type { EngineSim } from '@acestream-proxy/engine-sim';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import { NoopEventQueue } from '@acestream-proxy/orchestrator';
import type { Backend } from '@acestream-proxy/test-utils';
import { TakeoverWatch } from '../src/cluster/takeover.js';
import { type LifecycleEvent, StreamEvents } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import { MemoryMetadataStore, type MetadataStore, RedisMetadataStore } from '../src/metadata.js';
import { OwnerRole, type OwnerRoleOptions } from '../src/owner/owner-role.js';
import { WorkerStats } from '../src/stats.js';

/** What the workers of one test share: one cluster's worth of state. */
export interface SharedBackends {
  store: ChunkStore;
  metadata: MetadataStore;
  registry: ClientRegistry;
  election: OwnerElection;
  bus: EventBus;
  presence: WorkerPresence;
  engineLoad: EngineLoad;
}

export function memoryBackends(ownerTtlMs: number): SharedBackends {
  return {
    store: new MemoryChunkStore(60),
    metadata: new MemoryMetadataStore(),
    registry: new MemoryClientRegistry(),
    election: new MemoryOwnerElection(ownerTtlMs),
    bus: new MemoryEventBus(),
    presence: new MemoryWorkerPresence(),
    engineLoad: new MemoryEngineLoad(),
  };
}

/** The production Redis classes under the suite's own prefix. */
export async function redisBackends(backend: Backend, ownerTtlMs: number): Promise<SharedBackends> {
  const redis = await backend.connect();
  const subscriptions = await backend.subscriptions();
  const { keys } = backend;
  return {
    store: new RedisChunkStore({ redis, subscriptions, keys, ttlSeconds: 60 }),
    metadata: new RedisMetadataStore(redis, keys),
    registry: new RedisClientRegistry({ redis, keys, ghostTimeoutMs: 30_000 }),
    election: new RedisOwnerElection(redis, keys, ownerTtlMs),
    bus: new RedisEventBus(redis, subscriptions, keys),
    presence: new RedisWorkerPresence({ redis, keys, ttlMs: ownerTtlMs, listen: (c, l) => subscriptions.listen(c, l) }),
    engineLoad: new RedisEngineLoad(redis, keys),
  };
}

export interface TestWorker {
  readonly workerId: string;
  readonly owner: OwnerRole;
  readonly watch: TakeoverWatch;
  readonly stats: WorkerStats;
  /** This worker's lifecycle events, in order. */
  readonly events: LifecycleEvent[];
  /** Streams this worker serves players of (the takeover watch checks only these). */
  readonly served: Set<StreamId>;
  /** Streams the watch closed here as gone. */
  readonly closed: StreamId[];
  /** Stops the streams it owns and closes its owner role. */
  close(): Promise<void>;
}

/** A worker on `engine` over `shared`; `options` replaces any of its owner role's settings. */
export function testWorker(
  workerId: string,
  shared: SharedBackends,
  engine: EngineSim,
  options: Partial<OwnerRoleOptions> = {},
): TestWorker {
  const stats = new WorkerStats();
  const events: LifecycleEvent[] = [];
  const lifecycle = new StreamEvents(silentLogger);
  lifecycle.on((e) => events.push(e));
  const served = new Set<StreamId>();
  const closed: StreamId[] = [];
  const owner = new OwnerRole({
    workerId,
    ...shared,
    engines: new StaticEngineSource([{ host: engine.host, port: engine.port }]),
    engineApiTimeoutMs: 5000,
    engineMaxStreams: 5,
    events: new NoopEventQueue(),
    stream: {
      bufferChunkSize: 188 * 100,
      flushIntervalMs: 50,
      initTimeoutMs: 5000,
      noDataTimeoutMs: 2000,
      readChunkSize: 65_536,
      maxRetries: 1,
      reconnectBackoffMs: 20,
      statIntervalMs: 5000,
      bufferTtlMs: 60_000,
    },
    gracePeriodSeconds: 5,
    logger: silentLogger,
    stats,
    lifecycle,
    onOwnershipLost: () => {},
    onStopped: () => {},
    ...options,
  });
  const watch = new TakeoverWatch({
    workerId,
    election: shared.election,
    presence: shared.presence,
    metadata: shared.metadata,
    owner,
    stats,
    lifecycle,
    logger: silentLogger,
    served: {
      serves: (id) => served.has(id),
      fanout: async () => null,
      close: async (id) => {
        served.delete(id);
        closed.push(id);
      },
    },
  });
  return {
    workerId,
    owner,
    watch,
    stats,
    events,
    served,
    closed,
    async close() {
      watch.close();
      for (const s of owner.streams()) await owner.stop(s.id, 'stopped', 'test over');
      await owner.close();
    },
  };
}

/** A stream id of its own for each test, so tests on one suite's Redis never meet. */
export function newStreamId(): StreamId {
  return parseStreamId(randomBytes(20).toString('hex'));
}
