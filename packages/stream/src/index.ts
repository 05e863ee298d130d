// Public surface of @acestream-proxy/stream: the owner side, the fanout, and the manager.
export { type ClientSink, FanoutClient, type FanoutSettings, StreamFanout } from './fanout.js';
export { type Logger, silentLogger } from './logger.js';
export { type JoinOptions, type Membership, StreamManager, type StreamManagerOptions } from './manager.js';
export {
  MemoryMetadataStore,
  type MetadataStore,
  RedisMetadataStore,
  type StreamMetadata,
  type StreamState,
} from './metadata.js';
export {
  type ChunkObserver,
  type EndReason,
  OwnedStream,
  type OwnedStreamOptions,
  type OwnedStreamSettings,
} from './owned-stream.js';
export { type ChunkObservers, OwnerRole, type OwnerRoleOptions } from './owner-role.js';
export { countersOf, NO_TIMINGS, type Timings, type WorkerCounters, type WorkerSnapshot, WorkerStats } from './stats.js';
