// A real HAProxy in front of gateways: round robin, health checks on /health, responses streamed.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipPath } from './net/commands.js';
import type { Portal, ProcessHost } from './process.js';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

export interface Haproxy {
  port: number;
  /** Where the test reaches it: 127.0.0.1, or a portal into its net lab host. */
  url: string;
  /** Where players reach it: 127.0.0.1, or its net lab host's address. */
  peerUrl: string;
  proc: ChildProcess;
  /** The configuration it runs, for failure messages and the README. */
  config: string;
  stop(): Promise<void>;
}

export interface HaproxyBackend {
  host: string;
  port: number;
}

/**
 * The configuration the README recommends: no stickiness (gateways are stateless), a health
 * check on /health every second (down after three failures), long client/server timeouts for live streams, a failed
 * connection redispatched to another gateway, and the player's address in X-Forwarded-For. HAProxy streams response bodies as they come
 * (it buffers only what `option http-buffer-request` asks for, and that is off).
 */
export function haproxyConfig(port: number, backends: HaproxyBackend[], address = '127.0.0.1'): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout http-request 10s',
    // A loaded host answers /health late rather than never: only a dead one fails its checks.
    '  timeout check 3s',
    '  retries 3',
    '  option redispatch',
    // The player's address for the gateways (TRUSTED_PROXIES lists HAProxy): per address limits
    // then apply to players, not to the load balancer.
    '  option forwardfor',
    'frontend players',
    `  bind ${address}:${port}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /health',
    '  http-check expect status 200',
    '  default-server inter 1s fall 3 rise 2',
    ...backends.map((b, i) => `  server gateway${i + 1} ${b.host}:${b.port} check`),
    '',
  ].join('\n');
}

/** With `host`, HAProxy runs inside that net lab host on its address, port 8080 (a fresh namespace has it free). */
export async function startHaproxy(backends: HaproxyBackend[], { host }: { host?: ProcessHost } = {}): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'haproxy-'));
  const port = host ? 8080 : await freePort();
  const address = host?.address ?? '127.0.0.1';
  const config = haproxyConfig(port, backends, address);
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  // -db: stay in the foreground, so the pid we hold is the one that serves.
  const command = ['haproxy', '-db', '-f', file];
  const proc = host
    ? spawn(ipPath(), ['netns', 'exec', host.netns, ...command], { stdio: 'ignore' })
    : spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
  let portal: Portal | undefined;
  const stop = async () => {
    await portal?.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  host?.own?.(stop);
  try {
    if (host) {
      if (!host.portal) throw new Error(`startHaproxy: host ${host.netns} offers no portal for the test's checks`);
      portal = await host.portal(port);
    }
    const local = portal?.port ?? port;
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(local, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
      { what: `haproxy listening on ${port}`, timeoutMs: 10_000 },
    );
    const url = `http://127.0.0.1:${local}`;
    // Ready once every backend passed its health check (rise 2).
    await waitFor(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, {
      what: 'a healthy gateway behind haproxy',
      timeoutMs: 10_000,
    });
    return { port, url, peerUrl: `http://${address}:${port}`, proc, config, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
