// One host of a net lab: a network namespace with its own address, and ways to run things in it.

import { execFile } from 'node:child_process';
import { type Portal, type ProcessHost, type StartedProcess, type StartOptions, startNodeProcess } from '../process.js';
import { ipPath, run } from './commands.js';
import type { DelaySpec } from './delay-line.js';
import type { FaultHost } from './faults.js';
import { type Relay, RelayAgent } from './relay.js';

/** What a host needs from its lab: where portal sockets go, and a register of open portals. */
export interface HostContext {
  dir: string;
  switchNs: string;
  portals: Set<Portal>;
  owned: Set<() => Promise<unknown>>;
}

export class LabHost implements ProcessHost, FaultHost {
  private agent: Promise<RelayAgent> | null = null;

  constructor(
    /** The name the test gave it (`redis`, `gw1`). */
    readonly name: string,
    readonly netns: string,
    /** Its one address on the lab's bridge; HOST of the processes it runs. */
    readonly address: string,
    /** Its veth's name on the switch (where a rate limit shapes what it receives). */
    readonly switchPort: string,
    private readonly lab: HostContext,
  ) {}

  get switchNs(): string {
    return this.lab.switchNs;
  }

  /** Runs `argv` inside the host and resolves with its stdout; rejects with its stderr on failure. */
  exec(argv: string[], { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(ipPath(), ['netns', 'exec', this.netns, ...argv], { timeout: timeoutMs }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${argv.join(' ')} on ${this.name} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });
  }

  /** Starts `node <script>` inside the host (a gateway, an engine-sim); its `url` is a portal for the test. */
  spawnNode(script: string, options: Omit<StartOptions, 'host'> = {}): Promise<StartedProcess> {
    return startNodeProcess(script, { ...options, host: this });
  }

  /**
   * A 127.0.0.1 port for the test whose connections leave this host towards `address:port`
   * (by default a port of this host itself): a player on this host, as far as anyone can tell.
   */
  async portal(port: number, address = this.address): Promise<Portal> {
    const portal = await (await this.relays()).portal(address, port);
    this.lab.portals.add(portal);
    return {
      ...portal,
      close: async () => {
        this.lab.portals.delete(portal);
        await portal.close();
      },
    };
  }

  own(stop: () => Promise<unknown>): void {
    this.lab.owned.add(stop);
  }

  /** A relay in front of this host's `port` that adds `spec` each way; see `NetLab.delay`. */
  async delay(port: number, spec: DelaySpec): Promise<Relay> {
    return (await this.relays()).delay(port, spec);
  }

  /** The host's relay agent, started on first use. */
  private relays(): Promise<RelayAgent> {
    if (!this.agent) {
      this.agent = RelayAgent.start(this, this.lab.dir);
      // A failed start is not kept, so the next call tries again.
      this.agent.catch(() => {
        this.agent = null;
      });
    }
    return this.agent;
  }

  /**
   * Aborts this host's TCP connections to or from `peer` (`ss -K`: both ends see a reset); with
   * `localPort`, only the one on that port of this host (one client connection of many).
   */
  async killConnections(peer: LabHost | string, { localPort }: { localPort?: number } = {}): Promise<void> {
    const address = typeof peer === 'string' ? peer : peer.address;
    const only = localPort === undefined ? [] : ['sport', '=', `:${localPort}`];
    await run('ss', ['-K', 'dst', address, ...only], this.netns);
  }
}
