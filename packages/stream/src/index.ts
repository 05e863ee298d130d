// Public surface of @acestream-proxy/stream: the owner side, the fanout, the manager and its lifecycle events.
export {
  type DropReason,
  type EndReason,
  type EngineSwitched,
  type LifecycleEvent,
  type LifecycleListener,
  type OwnerLost,
  type OwnerTakeover,
  type PlayerDropped,
  StreamEvents,
  type StreamStarted,
  type StreamStopped,
} from './events.js';
export { type ClientSink, FanoutClient } from './fanout/client-writer.js';
export { type FanoutSettings, StreamFanout } from './fanout/fanout.js';
export { type Logger, silentLogger } from './logger.js';
export {
  HAND_BACK_SPREAD_MS,
  type JoinOptions,
  type Membership,
  type RedisLinkState,
  StreamManager,
  type StreamManagerOptions,
} from './manager.js';
export {
  MemoryMetadataStore,
  type MetadataStore,
  RedisMetadataStore,
  type StreamMetadata,
  type StreamState,
} from './metadata.js';
export type { ChunkObserver } from './owner/append-queue.js';
export { OwnedStream, type OwnedStreamOptions, type OwnedStreamSettings } from './owner/owned-stream.js';
export { type ChunkObservers, OwnerRole, type OwnerRoleOptions } from './owner/owner-role.js';
export { countersOf, NO_TIMINGS, type Timings, type WorkerCounters, type WorkerSnapshot, WorkerStats } from './stats.js';
