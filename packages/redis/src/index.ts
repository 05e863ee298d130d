// Public surface of @acestream-proxy/redis: connections and the shared subscriber.

export type { Redis } from 'ioredis';
export { type ConnectionLog, connectRedis, type RedisRole, waitReady, watchConnection } from './connect.js';
export { type ChannelListener, Subscriptions } from './subscriptions.js';
