// Public surface of @acestream-proxy/coordination: owner election, worker presence, the event bus.
export { type ClaimedFence, MemoryOwnerElection, type OwnerElection, RedisOwnerElection, type Renewal } from './election.js';
export {
  type ClientConnected,
  type ClientDisconnected,
  type ClientStop,
  type EventBus,
  type EventListener,
  MemoryEventBus,
  type OwnerChanged,
  parseEvent,
  RedisEventBus,
  type StreamEvent,
  type StreamEventType,
  type StreamStop,
  type StreamStopped,
} from './events.js';
export {
  MemoryWorkerPresence,
  RedisWorkerPresence,
  type RedisWorkerPresenceOptions,
  type WorkerPresence,
} from './presence.js';
