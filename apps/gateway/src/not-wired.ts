// Knobs whose packages are built (packages/accounts, state, epg) but not yet wired into the
// gateway: setting one is refused at start, so nobody believes a feature is on when it is not.

import type { ProxyConfig } from '@acestream-proxy/config';

/** One line per knob that is set but not acted on yet; empty when there is none. */
export function notWiredYet(config: ProxyConfig): string[] {
  const refused: string[] = [];
  const accounts = 'accounts are not wired into the gateway yet (issue 21); unset it';
  if (config.readKey !== null) refused.push(`PROXY_READ_KEY: ${accounts}`);
  if (config.redisStateUrl !== null)
    refused.push(`REDIS_STATE_URL: the separate state Redis is not wired yet (issue 21); unset it`);
  if (config.epgSources !== null) refused.push(`EPG_SOURCES: /epg.xml is not served yet (issue 22); unset it`);
  return refused;
}
