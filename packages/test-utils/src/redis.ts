// A real Redis connection for tests, with a key prefix of its own that is deleted afterwards.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  redis: Redis;
  /** A prefix unique to this test file run, e.g. `test_3fa2c1`. */
  prefix: string;
  /** Every key under the prefix. */
  keys(): Promise<string[]>;
  /** Deletes the prefix's keys and closes the connection (never FLUSHALL). */
  cleanup(): Promise<void>;
}

export async function testRedis(label = 'test'): Promise<TestRedis> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `${label}_${randomBytes(4).toString('hex')}`;
  const keys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return {
    redis,
    prefix,
    keys,
    async cleanup() {
      const found = await keys();
      if (found.length > 0) await redis.unlink(...found);
      redis.disconnect();
    },
  };
}
