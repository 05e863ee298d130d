// Relays inside lab hosts, driven from the test: delayed links (this kernel has no netem) and portals.

import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { type Portal, type ProcessHost, type StartedProcess, startNodeProcess } from '../process.js';
import type { DelaySpec } from './delay-line.js';

/** Built from relay-main.ts (tests run `corepack pnpm build` first, as for the other apps). */
export const RELAY = 'packages/test-utils/dist/net/relay-main.js';

/** A delayed way to a service: peers dial `address:port` instead of the service's own port. */
export interface Relay {
  address: string;
  port: number;
  /** Changes its delay, for the connections already open too. */
  set(spec: DelaySpec): Promise<void>;
  stop(): Promise<void>;
}

let sockets = 0;

/**
 * One relay agent per host (a node process is the costly part; listeners are cheap), reached
 * over HTTP on a Unix socket in the lab's directory: paths cross namespaces, addresses do not.
 */
export class RelayAgent {
  private constructor(
    private readonly host: ProcessHost,
    private readonly dir: string,
    private readonly control: string,
    private readonly proc: StartedProcess,
  ) {}

  static async start(host: ProcessHost, dir: string): Promise<RelayAgent> {
    const control = join(dir, `agent-${host.address}.sock`);
    const proc = await startNodeProcess(RELAY, { host: { netns: host.netns, address: host.address }, env: { CONTROL: control } });
    return new RelayAgent(host, dir, control, proc);
  }

  /**
   * A listener on a new port of the host's address that forwards to `port` there with each
   * direction's bytes held `spec.ms` (± jitter): a round trip through it takes 2 × ms longer.
   * It forwards inside the host, so only the hops to and from it cross the lab's links.
   */
  async delay(port: number, spec: DelaySpec): Promise<Relay> {
    const { address } = this.host;
    const { id, port: relayPort } = await this.open({ listen: `tcp:${address}:0`, target: `tcp:${address}:${port}`, ...spec });
    return {
      address,
      port: relayPort,
      set: async (next) => {
        await this.request('PUT', `/relays/${id}`, JSON.stringify(next));
      },
      stop: () => this.close(id),
    };
  }

  /**
   * A 127.0.0.1 port in the test's namespace whose connections come out of this host towards
   * `address:port`: a listener of the agent on a Unix socket, joined to 127.0.0.1 by a server
   * in the test's process.
   */
  async portal(address: string, port: number): Promise<Portal> {
    const path = join(this.dir, `p${++sockets}.sock`);
    const { id } = await this.open({ listen: `unix:${path}`, target: `tcp:${address}:${port}` });
    const open = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const inner = net.connect({ path, allowHalfOpen: true });
      client.setNoDelay(true);
      for (const socket of [client, inner]) {
        open.add(socket);
        socket.once('close', () => open.delete(socket));
        socket.on('error', () => {
          client.destroy();
          inner.destroy();
        });
      }
      client.pipe(inner);
      inner.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const local = (server.address() as net.AddressInfo).port;
    return {
      port: local,
      url: `http://127.0.0.1:${local}`,
      close: async () => {
        for (const socket of open) socket.destroy();
        // The agent may be gone already (the lab torn down): the listener went with it.
        await Promise.all([new Promise((resolve) => server.close(resolve)), this.close(id).catch(() => {})]);
      },
    };
  }

  stop(): Promise<number | null> {
    return this.proc.stop('SIGKILL');
  }

  private async open(body: { listen: string; target: string } & Partial<DelaySpec>): Promise<{ id: number; port: number }> {
    return JSON.parse(await this.request('POST', '/relays', JSON.stringify(body))) as { id: number; port: number };
  }

  private async close(id: number): Promise<void> {
    await this.request('DELETE', `/relays/${id}`);
  }

  private request(method: string, path: string, body?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.control, method, path, agent: false }, async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`relay agent in ${this.host.netns}: ${text}`));
        else resolve(text);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
