// Durable state wired (DESIGN §19): the HLS session key, USERS_FILE's users, and the watch that
// says loudly when what the running proxy wrote was lost (then puts back what the config holds).

import { type FileUser, seedUsers } from '@acestream-proxy/accounts';
import type { ProxyConfig } from '@acestream-proxy/config';
import { type SessionSecret, sessionSecret } from '@acestream-proxy/hls';
import { DurableState, type Reseed } from '@acestream-proxy/state';
import type { Logger } from '@acestream-proxy/stream';
import { USERS_REFUSED } from './accounts/index.js';
import type { Backends } from './backends/index.js';

export interface Durable {
  state: DurableState;
  /** The key HLS session ids are signed with: PROXY_SECRET, or the generated one kept as durable state. */
  secret: SessionSecret;
}

/** `fileUsers`: USERS_FILE's users when AUTH=token, else null. */
export async function startDurable(
  config: ProxyConfig,
  backends: Backends,
  fileUsers: readonly FileUser[] | null,
  logger: Logger,
): Promise<Durable> {
  const secret = await sessionSecret(config.proxySecret, backends.durable.hlsSecret, logger);
  const reseeds: Reseed[] = [async () => secret.restore()];
  if (fileUsers) {
    reseeds.push(async ({ overwrite }) => {
      // At start createAccounts seeds the file (the file winning); after a loss only the missing come back.
      if (overwrite) return;
      const report = await seedUsers(backends.users, fileUsers, { overwrite: false });
      // Names only: a user's token (or its hash) is never logged.
      if (report.created.length > 0) logger.warn('users re-made from USERS_FILE after the durable state was lost', { ...report });
      if (report.refused.length > 0) logger.warn(USERS_REFUSED, { users: report.refused });
    });
  }
  const state = new DurableState(backends.durable.sentinel, {
    logger,
    reseeds,
    // As often as the heartbeat: one GET.
    checkMs: config.heartbeatInterval * 1000,
    describe: backends.durable.describe,
  });
  await state.start();
  return { state, secret };
}
