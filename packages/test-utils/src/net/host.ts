// One host of a net lab: a network namespace with its own address, and ways to run things in it.

import { execFile } from 'node:child_process';
import { type Portal, type ProcessHost, type StartedProcess, type StartOptions, startNodeProcess } from '../process.js';
import { ipPath, run } from './commands.js';
import type { FaultHost } from './faults.js';
import { openPortal } from './relay.js';

/** What a host needs from its lab: where portal sockets go, and a register of open portals. */
export interface HostContext {
  dir: string;
  switchNs: string;
  portals: Set<Portal>;
}

export class LabHost implements ProcessHost, FaultHost {
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
    const portal = await openPortal(this, this.lab.dir, address, port);
    this.lab.portals.add(portal);
    return {
      ...portal,
      close: async () => {
        this.lab.portals.delete(portal);
        await portal.close();
      },
    };
  }

  /** Aborts this host's TCP connections to or from `peer` (`ss -K`: both ends see a reset). */
  async killConnections(peer: LabHost | string): Promise<void> {
    const address = typeof peer === 'string' ? peer : peer.address;
    await run('ss', ['-K', 'dst', address], this.netns);
  }
}
