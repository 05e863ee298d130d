// The key that signs HLS session ids: PROXY_SECRET, or one generated once per cluster and kept in
// Redis as durable state (DESIGN §19) so every worker and host verifies what any other issued.

import { randomBytes } from 'node:crypto';
import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';

/** Where the generated key is kept: the first value offered wins, later offers get it back. */
export interface SecretStore {
  /** Stores `candidate` unless a key is there; resolves the key in force and whether it was `candidate`'s store. */
  offer(candidate: string): Promise<{ value: string; stored: boolean }>;
}

export class RedisSecretStore implements SecretStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async offer(candidate: string): Promise<{ value: string; stored: boolean }> {
    const key = this.keys.hlsSecret();
    if ((await this.redis.set(key, candidate, 'NX')) === 'OK') return { value: candidate, stored: true };
    return { value: (await this.redis.get(key)) ?? candidate, stored: false };
  }
}

/** Embedded mode: one process, so a key of its own (sessions end with the process anyway). */
export class MemorySecretStore implements SecretStore {
  private value: string | null = null;

  async offer(candidate: string): Promise<{ value: string; stored: boolean }> {
    const stored = this.value === null;
    this.value ??= candidate;
    return { value: this.value, stored };
  }
}

export interface SecretLogger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface SessionSecret {
  current(): Buffer;
  close(): void;
}

/**
 * PROXY_SECRET when set. Otherwise the stored key, checked every `checkMs`: a Redis that lost it
 * (restarted without persistence) gets this worker's copy back, loudly, so the workers and hosts
 * keep agreeing and the sessions they handed out stay valid; a worker that adopted another key
 * while Redis was away takes the stored one.
 */
export async function sessionSecret(
  configured: string | null,
  store: SecretStore,
  logger: SecretLogger,
  checkMs: number,
): Promise<SessionSecret> {
  if (configured !== null) {
    const key = Buffer.from(configured);
    return { current: () => key, close() {} };
  }
  let value = (await store.offer(randomBytes(32).toString('hex'))).value;
  let key = Buffer.from(value);
  const timer = setInterval(() => {
    store.offer(value).then(
      (found) => {
        if (found.stored) {
          logger.error(
            "the generated HLS session key was gone from Redis (restarted without persistence?): stored this worker's copy again; set PROXY_SECRET in production",
            {},
          );
        } else if (found.value !== value) {
          logger.warn('another HLS session key is in force in Redis: using it (sessions this worker handed out since end)', {});
          value = found.value;
          key = Buffer.from(value);
        }
      },
      (err: Error) => logger.warn('HLS session key check failed', { error: err.message }),
    );
  }, checkMs);
  timer.unref();
  return { current: () => key, close: () => clearInterval(timer) };
}
