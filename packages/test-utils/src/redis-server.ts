// A private redis-server process on a free port, for tests that read server-wide stats, restart it
// (empty, or with its append-only file) or need a server of their own.

import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { ipPath } from './net/commands.js';
import type { Portal, ProcessHost } from './process.js';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  /** REDIS_URL for its clients: 127.0.0.1, or its net lab host's address. */
  url: string;
  port: number;
  /** With `persistDir`: where its append-only file is (start it again with the same to restart it with its data). */
  persistDir: string | null;
  redis: Redis;
  /** Total calls per command name from INFO commandstats. */
  commandCalls(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server on a free port (or on `port`, to bring one back after a simulated outage).
 * With `host` it runs inside that net lab host (port 6379 unless given), bound to the host's
 * address, and `redis` reaches it through a portal.
 */
export async function startPrivateRedis(
  port?: number,
  { host, persistDir }: { host?: ProcessHost; persistDir?: string } = {},
): Promise<PrivateRedis> {
  port ??= host ? 6379 : await freePort();
  // `persistDir`: appendonly yes, every write synced (as the compose file runs the durable-state Redis).
  const persistence = persistDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistDir]
    : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', host?.address ?? '127.0.0.1', '--save', '', ...persistence];
  // Protected mode refuses every client not on loopback; the lab's hosts are the only ones that can reach it.
  if (host) args.push('--protected-mode', 'no');
  const proc: ChildProcess = host
    ? spawn(ipPath(), ['netns', 'exec', host.netns, 'redis-server', ...args], { stdio: 'ignore' })
    : spawn('redis-server', args, { stdio: 'ignore' });
  let portal: Portal | undefined;
  if (host) {
    if (!host.portal) throw new Error(`startPrivateRedis: host ${host.netns} offers no portal for the test's connection`);
    portal = await host.portal(port).catch((err: Error) => {
      proc.kill('SIGKILL');
      throw err;
    });
  }
  const redis = new Redis({
    port: portal?.port ?? port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  // Refused connections while the server starts are expected; commands still reject on errors.
  redis.on('error', () => {});
  await waitFor(
    async () => {
      if (redis.status !== 'ready') await redis.connect().catch(() => {});
      return redis.status === 'ready';
    },
    { what: `redis-server on port ${port}`, timeoutMs: 5000 },
  ).catch(async (err: Error) => {
    redis.disconnect();
    proc.kill('SIGKILL');
    await portal?.close();
    throw err;
  });
  const server: PrivateRedis = {
    url: `redis://${host?.address ?? '127.0.0.1'}:${port}`,
    port,
    persistDir: persistDir ?? null,
    redis,
    async commandCalls() {
      const info = await redis.info('commandstats');
      const calls = new Map<string, number>();
      for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
      return calls;
    },
    async stop() {
      redis.disconnect();
      await portal?.close();
      // Stopping twice (a test's finally after its simulated outage) must not wait for ever.
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
  // A client left retrying after the lab is gone would keep the test process alive.
  host?.own?.(() => server.stop());
  return server;
}
