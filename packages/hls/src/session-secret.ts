// The key that signs HLS session ids: PROXY_SECRET, or one generated once per cluster and kept as
// durable state (DESIGN §19, packages/state's WriteOnce) so every worker and host verifies what
// any other issued.

import { randomBytes } from 'node:crypto';

/** Where a generated key is kept: packages/state's WriteOnce (the first value offered stays). */
export interface SecretStore {
  offer(candidate: string): Promise<{ value: string; stored: boolean }>;
}

export interface SecretLogger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface SessionSecret {
  current(): Buffer;
  /**
   * After the durable state was found lost (DurableState's re-seed): offers this worker's key
   * again, so the workers and hosts keep agreeing and the sessions they handed out stay valid; a
   * worker whose offer comes second takes the key in force. Nothing to do with PROXY_SECRET.
   */
  restore(): Promise<void>;
}

export async function sessionSecret(configured: string | null, store: SecretStore, logger: SecretLogger): Promise<SessionSecret> {
  if (configured !== null) {
    const key = Buffer.from(configured);
    return { current: () => key, restore: async () => {} };
  }
  let value = (await store.offer(randomBytes(32).toString('hex'))).value;
  let key = Buffer.from(value);
  return {
    current: () => key,
    async restore() {
      const found = await store.offer(value);
      if (found.stored) {
        logger.error(
          "the generated HLS session key was gone: stored this worker's copy again; set PROXY_SECRET in production",
          {},
        );
      } else if (found.value !== value) {
        logger.warn('another HLS session key is in force: using it (sessions this worker handed out since end)', {});
        value = found.value;
        key = Buffer.from(value);
      }
    },
  };
}
