// Public surface of @acestream-proxy/redis: connections and the shared subscriber.

export type { Redis } from 'ioredis';
export { connectRedis, type RedisRole, waitReady } from './connect.js';
export { type ChannelListener, Subscriptions } from './subscriptions.js';
