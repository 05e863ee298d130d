// The durable state's sentinel: a random id written once per installation, in Redis or in memory.

import { randomBytes } from 'node:crypto';
import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { MemoryWriteOnce, RedisWriteOnce, type WriteOnce } from './write-once.js';

/** Where the sentinel is: the first id offered stays, later offers get it back. */
export type SentinelStore = WriteOnce;

export function newSentinelId(): string {
  return `${new Date().toISOString()}/${randomBytes(8).toString('hex')}`;
}

export class RedisSentinelStore extends RedisWriteOnce {
  constructor(redis: Redis, keys: Keys) {
    super(redis, keys.stateSentinel());
  }
}

export class MemorySentinelStore extends MemoryWriteOnce {}
