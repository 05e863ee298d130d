// Public surface of @acestream-proxy/state: durable state's loss detection and re-seeding (DESIGN §19).

export { DurableState, type DurableStateOptions, type Reseed, type StateHealth, type StateLogger } from './durable-state.js';
export { MemorySentinelStore, newSentinelId, RedisSentinelStore, type SentinelStore } from './sentinel.js';
export { MemoryWriteOnce, RedisWriteOnce, type WriteOnce } from './write-once.js';
