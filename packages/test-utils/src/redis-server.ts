// A private redis-server process on a free port, for tests that read server-wide stats.

import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  url: string;
  port: number;
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

/** Starts redis-server on a free port (or on `port`, to bring one back after a simulated outage). */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const redis = new Redis({
    port,
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
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    redis,
    async commandCalls() {
      const info = await redis.info('commandstats');
      const calls = new Map<string, number>();
      for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
      return calls;
    },
    async stop() {
      redis.disconnect();
      // Stopping twice (a test's finally after its simulated outage) must not wait for ever.
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
