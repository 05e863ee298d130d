// The accounts knobs (issue 21): AUTH, USERS_FILE, PROXY_READ_KEY, REDIS_STATE_URL.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';
import { errorOf, load } from './env.js';

const dir = mkdtempSync(join(tmpdir(), 'accounts-config-'));
const usersFile = join(dir, 'users.yaml');
writeFileSync(usersFile, 'users: []\n');
const ADMIN = 'a'.repeat(32);

describe('accounts configuration', () => {
  it("keeps today's open proxy by default, with state on the streams' Redis", () => {
    const config = load({});
    expect(config.auth).toBe('none');
    expect(config.usersFile).toBeNull();
    expect(config.readKey).toBeNull();
    expect(config.redisStateUrl).toBeNull();
  });

  it('reads token mode with a users file, a read-only key and a separate state Redis', () => {
    const config = load({
      AUTH: 'token',
      USERS_FILE: usersFile,
      PROXY_READ_KEY: 'r'.repeat(16),
      REDIS_URL: 'redis://streams.lan:6379',
      REDIS_STATE_URL: 'redis://state.lan:6380/0',
    });
    expect(config).toMatchObject({
      auth: 'token',
      usersFile,
      readKey: 'r'.repeat(16),
      redisStateUrl: 'redis://state.lan:6380/0',
    });
    expect(load({ AUTH: 'token', PROXY_API_KEY: ADMIN }).auth).toBe('token');
  });

  it.each([
    ['AUTH', 'basic', /must be one of none, token/],
    ['USERS_FILE', join(dir, 'missing.yaml'), /readable file/],
    ['USERS_FILE', dir, /readable file/],
    ['REDIS_STATE_URL', 'http://state.lan', /redis:\/\//],
    ['REDIS_STATE_URL', 'redis://state.lan', /needs REDIS_URL or REDIS_CLUSTER_NODES/],
  ])('rejects %s=%j naming the variable, the value and the rule', (variable, value, rule) => {
    const error = errorOf({ [variable]: value, PROXY_API_KEY: ADMIN });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect(error.message).toMatch(rule);
  });

  it('refuses token mode with no way to make users', () => {
    expect(errorOf({ AUTH: 'token' }).message).toMatch(
      /AUTH="token": needs a way to make users: set PROXY_API_KEY .* or USERS_FILE/,
    );
  });

  it('rejects a short read key without printing it, and one equal to the admin key', () => {
    const short = errorOf({ PROXY_READ_KEY: 'hunter2-short' });
    expect(short.message).toMatch(/PROXY_READ_KEY=.*at least 16 characters/);
    expect(short.message).not.toContain('hunter2');
    const same = errorOf({ PROXY_READ_KEY: ADMIN, PROXY_API_KEY: ADMIN });
    expect(same.message).toMatch(/PROXY_READ_KEY=.*must differ from PROXY_API_KEY/);
    expect(same.message).not.toContain(ADMIN);
    // With AUTH=none the read views are open to all: a read key there would be a promise not kept.
    const open = errorOf({ PROXY_READ_KEY: 'r'.repeat(16) });
    expect(open.message).toMatch(/PROXY_READ_KEY=.*is for AUTH=token/);
    expect(open.message).not.toContain('r'.repeat(16));
  });
});
