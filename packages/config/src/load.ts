// Reads the environment (and .env) once, validates every knob, and returns a typed config.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { convictSchema, KNOBS, type KnobName } from './schema.js';
import type { ProxyConfig } from './types.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(`Invalid ${variable}=${JSON.stringify(value)}: ${allowed}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** A .env file to read when it exists; real environment variables win. Default `./.env`. */
  dotenvPath?: string;
}

export interface LoadedConfig {
  config: ProxyConfig;
  /** Values that were accepted but changed (e.g. aligned down to 188), to log once at start. */
  warnings: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  const dotenvPath = resolve(options.dotenvPath ?? '.env');
  const fromFile = existsSync(dotenvPath) ? dotenv.parse(readFileSync(dotenvPath)) : {};
  // Empty variables count as unset, as shells and compose files often leave them.
  const merged: Record<string, string | undefined> = {};
  for (const source of [fromFile, env]) {
    for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') merged[k] = v;
  }
  const raw = convictSchema(merged).getProperties() as Record<KnobName, string | null>;

  const values: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const [name, knob] of Object.entries(KNOBS) as Array<[KnobName, (typeof KNOBS)[KnobName]]>) {
    const value = raw[name];
    if (value === null || value === undefined) {
      values[name] = null;
      continue;
    }
    try {
      values[name] = knob.check(String(value));
    } catch (rule) {
      const shown = 'secret' in knob && knob.secret ? `<${String(value).length} characters, not shown>` : String(value);
      errors.push(new ConfigError(knob.env, shown, String(rule)));
    }
  }
  if (raw.redisUrl !== null && raw.redisClusterNodes !== null) {
    errors.push(
      new ConfigError(
        KNOBS.redisClusterNodes.env,
        String(raw.redisClusterNodes),
        `cannot be used together with REDIS_URL: set REDIS_URL for one Redis server or REDIS_CLUSTER_NODES for a Redis Cluster, not both`,
      ),
    );
  }
  if (raw.auth === 'token' && raw.apiKey === null && raw.usersFile === null) {
    errors.push(
      new ConfigError(
        KNOBS.auth.env,
        'token',
        'needs a way to make users: set PROXY_API_KEY (the admin API manages them) or USERS_FILE (a file lists them), or both',
      ),
    );
  }
  if (raw.readKey !== null && raw.auth !== 'token') {
    errors.push(
      new ConfigError(
        KNOBS.readKey.env,
        '<set, not shown>',
        'is for AUTH=token (with AUTH=none the read views are open to all): set AUTH=token or unset it',
      ),
    );
  }
  if (raw.redisStateUrl !== null && raw.redisUrl === null && raw.redisClusterNodes === null) {
    errors.push(
      new ConfigError(
        KNOBS.redisStateUrl.env,
        String(raw.redisStateUrl),
        'needs REDIS_URL or REDIS_CLUSTER_NODES (embedded mode keeps all its state in its one process): set one, or unset REDIS_STATE_URL',
      ),
    );
  }
  if (raw.readKey !== null && raw.readKey === raw.apiKey) {
    errors.push(
      new ConfigError(
        KNOBS.readKey.env,
        '<same as PROXY_API_KEY, not shown>',
        'must differ from PROXY_API_KEY, or whoever may read could also change',
      ),
    );
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) {
    const all = new ConfigError(errors[0]!.variable, errors[0]!.value, errors[0]!.allowed);
    all.message = errors.map((e) => e.message).join('\n');
    throw all;
  }

  const warnings: string[] = [];
  const chunk = values.bufferChunkSize as number;
  const aligned = chunk - (chunk % 188);
  if (aligned !== chunk) {
    warnings.push(`PROXY_BUFFER_CHUNK_SIZE=${chunk} is not a multiple of 188 (one TS packet); using ${aligned}`);
    values.bufferChunkSize = aligned;
  }
  values.redisMode = raw.redisClusterNodes !== null ? 'cluster' : raw.redisUrl !== null ? 'single' : 'embedded';
  if (values.redisMode === 'cluster' && (values.ownerTtlMs as number) < 5000) {
    warnings.push(
      `PROXY_OWNER_TTL_MS=${values.ownerTtlMs} is shorter than a Redis Cluster master failover (cluster-node-timeout + 1-2 s): ` +
        'owners on the failed shard will hand their streams over (restarting engine sessions); 6000 or more keeps them',
    );
  }
  values.ghostTimeoutMs = (values.heartbeatInterval as number) * (values.ghostMultiplier as number) * 1000;
  return { config: Object.freeze(values) as unknown as ProxyConfig, warnings };
}

/** loadConfig for a process entry point: a bad value prints why and exits with status 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  try {
    return loadConfig(env, options);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
