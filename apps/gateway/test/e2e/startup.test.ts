// Startup errors a newcomer meets: a port in use is one line naming PORT and exit status 1.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { GATEWAY, REPO_ROOT, TEST_REDIS_URL } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [GATEWAY], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ENGINES: '127.0.0.1:1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the gateway kept running on a port in use:\n${stdout}${stderr}`));
    }, 15_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('a port already in use', () => {
  let holder: net.Server;
  let port: number;
  beforeAll(async () => {
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it.each([
    ['embedded mode', {}],
    ['Redis mode (the cluster primary listens)', { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: 'startup_test', WORKERS: '1' }],
  ])('%s: exits 1 with one line naming PORT, no stack trace', async (_mode, env) => {
    const { code, stderr, stdout } = await run({ PORT: String(port), ...env });
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toEqual([
      `Cannot listen: PORT=${port} on HOST=127.0.0.1 is already in use by another process; stop it or set PORT to a free port`,
    ]);
    expect(`${stdout}${stderr}`).not.toMatch(/^\s+at /m);
  });
});
