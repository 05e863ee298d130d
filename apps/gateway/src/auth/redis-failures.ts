// Wrong API keys counted per address in Redis: one count for every worker and host, so a client
// spreading its guesses over the workers (or the hosts behind a load balancer) is blocked as soon.

import { readFileSync } from 'node:fs';
import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { type AuthFailures, BLOCK_MS, FAILURE_LIMIT, FAILURE_WINDOW_MS } from './failures.js';

const COUNT_FAILURE = readFileSync(new URL('../../src/auth/commands/count-failure-1.lua', import.meta.url), 'utf8');

type CountFailureCommand = (key: string, windowMs: number, limit: number, blockMs: number) => Promise<number>;

export class RedisAuthFailures implements AuthFailures {
  private readonly countFailure: CountFailureCommand;

  /** `redis`: the request connection (a Redis outage fails the request at once). */
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    if (!('aceCountAuthFailure' in redis)) redis.defineCommand('aceCountAuthFailure', { numberOfKeys: 1, lua: COUNT_FAILURE });
    this.countFailure = (redis as unknown as Record<string, CountFailureCommand>).aceCountAuthFailure!.bind(redis);
  }

  async blockedFor(address: string): Promise<number> {
    const key = this.keys.authFailures(address);
    const [failures, ttl] = (await this.redis.pipeline().get(key).pttl(key).exec()) ?? [];
    if (failures?.[0] || ttl?.[0]) throw failures?.[0] ?? ttl?.[0];
    return Number(failures?.[1] ?? 0) >= FAILURE_LIMIT ? Math.max(Number(ttl?.[1]), 1) : 0;
  }

  fail(address: string): Promise<number> {
    return this.countFailure(this.keys.authFailures(address), FAILURE_WINDOW_MS, FAILURE_LIMIT, BLOCK_MS);
  }
}
