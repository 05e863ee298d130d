// Public surface of @acestream-proxy/clients: the client registry (Redis and in-memory).
export { MemoryClientRegistry } from './memory-registry.js';
export { RedisClientRegistry, type RedisClientRegistryOptions } from './redis-registry.js';
export type { ClientActivity, ClientInfo, ClientKind, ClientRecord, ClientRegistry } from './registry.js';
