// Knobs of features not wired into the gateway yet are refused at start, not silently ignored.

import { spawnSync } from 'node:child_process';
import { GATEWAY, REPO_ROOT } from '@acestream-proxy/test-utils';
import { expect, it } from '@jest/globals';

it.each([[{ EPG_SOURCES: '/dev/null' }, 'EPG_SOURCES']])('refuses to start with %j, naming it', (env, named) => {
  const run = spawnSync(process.execPath, [GATEWAY], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(named);
  expect(run.stderr).toContain('not');
});
