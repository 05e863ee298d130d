// Durable state wired (DESIGN §19): the HLS session key, USERS_FILE's users, and the watch that
// says loudly when what the running proxy wrote was lost (then puts back what the config holds).

import { readFile } from 'node:fs/promises';
import { type FileUser, parseUsersFile, seedUsers } from '@acestream-proxy/accounts';
import type { ProxyConfig } from '@acestream-proxy/config';
import { type SessionSecret, sessionSecret } from '@acestream-proxy/hls';
import { DurableState, type Reseed } from '@acestream-proxy/state';
import type { Logger } from '@acestream-proxy/stream';
import type { Backends } from './backends/index.js';

export interface Durable {
  state: DurableState;
  /** The key HLS session ids are signed with: PROXY_SECRET, or the generated one kept as durable state. */
  secret: SessionSecret;
}

/** Reads USERS_FILE once at start (a bad file stops the start, naming the entry and the field). */
export async function usersFromFile(path: string | null): Promise<FileUser[] | null> {
  if (path === null) return null;
  try {
    return parseUsersFile(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`USERS_FILE=${path}: ${(err as Error).message}`);
  }
}

export async function startDurable(config: ProxyConfig, backends: Backends, logger: Logger): Promise<Durable> {
  const secret = await sessionSecret(config.proxySecret, backends.durable.hlsSecret, logger);
  const fileUsers = await usersFromFile(config.usersFile);
  const reseeds: Reseed[] = [async () => secret.restore()];
  if (fileUsers) {
    reseeds.push(async ({ overwrite }) => {
      const report = await seedUsers(backends.users, fileUsers, { overwrite });
      if (report.created.length + report.updated.length + report.removed.length > 0) {
        // Names only: a user's token (or its hash) is never logged.
        logger.info('users seeded from USERS_FILE', { ...report });
      }
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
