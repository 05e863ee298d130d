// Public surface of @acestream-proxy/redis: connections per role and mode, subscriptions, SCAN, Lua scripts.

export { type ClusterNodeAddress, connectCluster, SLOTS_REFRESH_MS } from './cluster.js';
export {
  type ConnectionLog,
  connectRedis,
  type Redis,
  type RedisRole,
  roleOptions,
  waitReady,
  watchConnection,
} from './connect.js';
export { type RedisConnector, redisCluster, singleRedis } from './connector.js';
export { type Lease, type LeaseKeys, LeaseSets, type Unheld, unheld } from './lease-set.js';
export { type LivenessOptions, RedisLink } from './liveness.js';
export { scanKeys } from './scan.js';
export { defineScripts } from './scripts.js';
export { type ChannelListener, ShardedSubscriptions, Subscriptions } from './subscriptions.js';
