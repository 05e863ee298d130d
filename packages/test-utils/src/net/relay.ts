// Relays inside lab hosts: delayed links (this kernel has no netem) and portals from the test's own namespace.

import net from 'node:net';
import { join } from 'node:path';
import { type Portal, type ProcessHost, startNodeProcess } from '../process.js';
import type { DelaySpec } from './delay-line.js';

/** Built from relay-main.ts (tests run `corepack pnpm build` first, as for the other apps). */
export const RELAY = 'packages/test-utils/dist/net/relay-main.js';

/** A delayed way to a service: peers dial `address:port` instead of the service's own port. */
export interface Relay {
  address: string;
  port: number;
  stop(): Promise<void>;
}

async function startRelay(host: ProcessHost, listen: string, target: string, spec: DelaySpec = { ms: 0 }) {
  return startNodeProcess(RELAY, {
    host: { netns: host.netns, address: host.address },
    env: { LISTEN: listen, TARGET: target, DELAY_MS: String(spec.ms), JITTER_MS: String(spec.jitterMs ?? 0) },
  });
}

/**
 * A relay in `host` on a new port of its address, forwarding to `port` there with each
 * direction's bytes held `spec.ms` (± jitter): a round trip through it takes 2 × ms longer.
 * It forwards inside the host, so only the hops to and from the relay cross the lab's links.
 */
export async function startDelayRelay(host: ProcessHost, port: number, spec: DelaySpec): Promise<Relay> {
  const relay = await startRelay(host, `tcp:${host.address}:0`, `tcp:${host.address}:${port}`, spec);
  return {
    address: host.address,
    port: relay.port,
    stop: async () => {
      await relay.stop('SIGKILL');
    },
  };
}

/**
 * A 127.0.0.1 port in the test's namespace whose connections come out of `host` towards
 * `address:port`. The test's namespace gets no route into the lab: a relay inside the host
 * listens on a Unix socket in `dir` (paths cross namespaces, addresses do not), and a server
 * in this process joins 127.0.0.1 to that socket.
 */
export async function openPortal(host: ProcessHost, dir: string, address: string, port: number): Promise<Portal> {
  const path = join(dir, `portal-${address}-${port}-${Math.random().toString(36).slice(2, 8)}.sock`);
  const relay = await startRelay(host, `unix:${path}`, `tcp:${address}:${port}`);
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const inner = net.connect({ path, allowHalfOpen: true });
    client.setNoDelay(true);
    for (const socket of [client, inner]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        inner.destroy();
      });
    }
    client.pipe(inner);
    inner.pipe(client);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
  } catch (err) {
    await relay.stop('SIGKILL');
    throw err;
  }
  const local = (server.address() as net.AddressInfo).port;
  return {
    port: local,
    url: `http://127.0.0.1:${local}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise((resolve) => server.close(resolve)), relay.stop('SIGKILL')]);
    },
  };
}
