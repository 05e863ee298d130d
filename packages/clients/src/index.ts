// Public surface of @acestream-proxy/clients: the client registry (Redis and in-memory).
export { MemoryClientRegistry } from './memory-registry.js';
export { RedisClientRegistry, type RedisClientRegistryOptions } from './redis-registry.js';
export {
  type ClientActivity,
  type ClientInfo,
  type ClientKind,
  type ClientRecord,
  type ClientRegistry,
  MAX_IP_LENGTH,
  MAX_USER_AGENT_LENGTH,
} from './registry.js';
