// AUTH=token settings that cannot work are refused before any worker starts, naming the variable and the problem.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY, REPO_ROOT, tempDir } from '@acestream-proxy/test-utils';
import { expect, it } from '@jest/globals';

const start = (env: Record<string, string>) =>
  spawnSync(process.execPath, [GATEWAY], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', AUTH: 'token', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });

it('exits 1 on a USERS_FILE with a mistake, naming the variable, the entry and the field', () => {
  const file = join(tempDir('users-file'), 'users.yaml');
  writeFileSync(file, 'users:\n  - name: alice\n    token: too-short\n');
  const run = start({ USERS_FILE: file });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(`USERS_FILE=${file}: USERS_FILE user #1: token must be 43 base64url characters`);
});

it('exits 1 on HDHR_DISCOVERY=true with AUTH=token, saying what to do instead', () => {
  const run = start({ PROXY_API_KEY: 'startup-test-key-0123', HDHR_DISCOVERY: 'true' });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('HDHR_DISCOVERY=true cannot be used with AUTH=token');
  expect(run.stderr).toContain('/u/<token>/');
});
