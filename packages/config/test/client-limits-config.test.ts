// The abuse knobs (issue 20, item 4): per address limits, trusted proxies, the HLS session key.

import { ConfigError } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';
import { errorOf, load } from './env.js';

describe('client limits configuration', () => {
  it('limits every address by default, trusts loopback proxies only, and generates the session key', () => {
    const config = load({});
    expect(config.maxNewSessionsPerMinute).toBe(30);
    expect(config.maxConnectionsPerAddress).toBe(50);
    expect(config.trustedProxies).toEqual(['loopback']);
    expect(config.proxySecret).toBeNull();
  });

  it('reads range names, addresses and CIDR blocks, 0 as no limit, and a long enough secret', () => {
    const config = load({
      TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,fd00::/8 ,192.168.1.2',
      PROXY_MAX_NEW_SESSIONS_PER_MINUTE: '0',
      PROXY_MAX_CONNECTIONS_PER_ADDRESS: '0',
      PROXY_SECRET: 'a'.repeat(16),
    });
    expect(config.trustedProxies).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.2']);
    expect(config.maxNewSessionsPerMinute).toBe(0);
    expect(config.maxConnectionsPerAddress).toBe(0);
    expect(config.proxySecret).toBe('a'.repeat(16));
  });

  it.each([
    ['TRUSTED_PROXIES', '10.0.0.0/33', /"10.0.0.0\/33" is none of them/],
    ['TRUSTED_PROXIES', 'haproxy.lan', /CIDR blocks/],
    ['PROXY_MAX_CONNECTIONS_PER_ADDRESS', '-1', /at least 0/],
  ])('rejects %s=%j naming the variable, the value and the rule', (variable, value, rule) => {
    const error = errorOf({ [variable]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect(error.message).toMatch(rule);
  });

  it('rejects a PROXY_SECRET under 16 characters without printing it', () => {
    const error = errorOf({ PROXY_SECRET: 'hunter2-short' });
    expect(error.message).toContain('PROXY_SECRET=');
    expect(error.message).toMatch(/at least 16 characters/);
    expect(error.message).not.toContain('hunter2');
  });
});
