// ALLOWED_HOSTS (issue 20): the Host headers the status page and /proxy/* answer.

import { ConfigError, loadConfig } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: '/nonexistent/.env' }).config;

describe('ALLOWED_HOSTS', () => {
  it('is unset by default: any Host is answered', () => {
    expect(load({}).allowedHosts).toBeNull();
  });

  it('reads names, addresses and bracketed IPv6 addresses, with or without a port, in lower case', () => {
    expect(load({ ALLOWED_HOSTS: 'TV.example.com, 192.168.1.10:8000,[::1]:8000' }).allowedHosts).toEqual([
      'tv.example.com',
      '192.168.1.10:8000',
      '[::1]:8000',
    ]);
  });

  it.each(['http://tv.example.com', 'tv.example.com/path', ' , '])('rejects %j naming the variable and the form', (value) => {
    expect(() => load({ ALLOWED_HOSTS: value })).toThrow(ConfigError);
    expect(() => load({ ALLOWED_HOSTS: value })).toThrow(/ALLOWED_HOSTS=.*name\[:port\]/);
  });
});
