// Loading the config from a test's own variables only (no .env), and catching what it refuses.

import { type ConfigError, loadConfig, type ProxyConfig } from '@acestream-proxy/config';

export const load = (env: Record<string, string>): ProxyConfig => loadConfig(env, { dotenvPath: '/nonexistent/.env' }).config;

/** The ConfigError `env` is refused with; throws when it is accepted. */
export function errorOf(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('accepted');
}
