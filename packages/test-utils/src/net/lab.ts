// netLab(): hosts as network namespaces on one bridge, faults between them, and a teardown that leaves nothing.

import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import type { Portal } from '../process.js';
import { waitFor } from '../wait.js';
import { ipBatch, netLabUnavailable, run } from './commands.js';
import type { DelaySpec } from './delay-line.js';
import { type Direction, type Fault, loss, partition, rate } from './faults.js';
import { LabHost } from './host.js';
import { destroyNamespacesSync, hostNs, type LabNames, labNames, namespaces, sweepDeadLabs } from './names.js';
import type { Relay } from './relay.js';

/**
 * A switch namespace holding a bridge, and hosts: each a namespace with loopback up, one veth to
 * the bridge and one address of the lab's /24, and no default route. The test's own namespace
 * gets no address or route, so traffic from a host can only ever reach another host of the lab.
 */
export class NetLab {
  readonly hosts = new Map<string, LabHost>();
  private readonly faults = new Set<Fault>();
  private readonly portals = new Set<Portal>();
  /** Stops of what hosts run for the test's process (clients, temp dirs), run first at teardown. */
  private readonly owned = new Set<() => Promise<unknown>>();
  /** nsfs inode of each namespace made, to find processes still inside one after teardown. */
  private readonly inodes = new Map<string, number>();
  private tornDown = false;

  constructor(readonly names: LabNames) {}

  /** @internal netLab() calls it; the switch namespace and its bridge. */
  async start(): Promise<void> {
    live.add(this);
    mkdirSync(this.names.dir, { recursive: true });
    await this.addNamespace(this.names.switchNs);
    await ipBatch(this.names.switchNs, ['link add br0 type bridge', 'link set br0 up']);
  }

  /** A host named `name` (lower case letters and digits) at the lab's next address. */
  async addHost(name: string): Promise<LabHost> {
    if (!/^[a-z0-9]{1,16}$/.test(name)) throw new Error(`net lab: host name ${JSON.stringify(name)} is not 1-16 of a-z0-9`);
    if (this.hosts.has(name)) throw new Error(`net lab: host ${name} exists already`);
    if (this.hosts.size >= 250) throw new Error('net lab: a lab holds at most 250 hosts');
    const index = this.hosts.size + 1;
    const ns = hostNs(this.names, name);
    const sw = this.names.switchNs;
    // The token in the switch-side name lets leftovers() notice one that landed in the wrong namespace.
    const port = `${this.names.token}h${index}`;
    const host = new LabHost(name, ns, `${this.names.subnet}.${index}`, port, {
      dir: this.names.dir,
      switchNs: sw,
      portals: this.portals,
      owned: this.owned,
    });
    this.hosts.set(name, host);
    await this.addNamespace(ns);
    await ipBatch(sw, [`link add ${port} type veth peer name eth0 netns ${ns}`, `link set ${port} master br0 up`]);
    await ipBatch(ns, ['link set lo up', `addr add ${host.address}/24 dev eth0`, 'link set eth0 up']);
    return host;
  }

  /** `a` and `b` cannot reach each other; `oneWay`: only `a`'s packets to `b` are dropped. */
  partition(a: LabHost, b: LabHost, { oneWay = false }: { oneWay?: boolean } = {}): Promise<Fault> {
    return this.track(partition(a, b, oneWay));
  }

  /**
   * Drops each packet entering and leaving `host` (or one `direction`; or only those to and from
   * `peer`: a lossy link between two hosts) with probability `fraction`.
   */
  loss(host: LabHost, fraction: number, options: { direction?: Direction; peer?: LabHost } = {}): Promise<Fault> {
    return this.track(loss(host, fraction, options.direction ?? 'both', options.peer));
  }

  /** Limits what `host` sends and what it receives to `bitsPerSecond` each. */
  rate(host: LabHost, bitsPerSecond: number): Promise<Fault> {
    return this.track(rate(host, bitsPerSecond));
  }

  /**
   * A relay on `host` in front of its `port`: peers that dial the relay's address and port get
   * `spec.ms` (± jitter) more delay each way. Give its address to the clients that should see it.
   */
  delay(host: LabHost, port: number, spec: DelaySpec): Promise<Relay> {
    return host.delay(port, spec);
  }

  /** Removes every partition, loss and rate in force (a delay stays until its relay is stopped). */
  async heal(): Promise<void> {
    const faults = [...this.faults];
    this.faults.clear();
    for (const fault of faults) await fault.heal();
  }

  private async track(adding: Promise<Fault>): Promise<Fault> {
    const fault = await adding;
    this.faults.add(fault);
    return {
      what: fault.what,
      heal: async () => {
        this.faults.delete(fault);
        await fault.heal();
      },
    };
  }

  /** Kills everything inside the lab and deletes its namespaces (with them their veths, qdiscs and tables). Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    live.delete(this);
    await Promise.all([...this.owned].map((stop) => stop().catch(() => {})));
    this.owned.clear();
    await Promise.all([...this.portals].map((portal) => portal.close()));
    this.portals.clear();
    const all = [...this.inodes.keys()];
    destroyNamespacesSync(all);
    rmSync(this.names.dir, { recursive: true, force: true });
    // SIGKILLed processes leave their namespace a moment later; wait so leftovers() is exact.
    await waitFor(() => this.processesInside().length === 0, { what: `processes of ${this.names.id} to exit`, timeoutMs: 5000 });
  }

  /** For an exit handler: the same, blocking, without waiting for killed processes. */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    live.delete(this);
    destroyNamespacesSync([...this.inodes.keys()]);
    rmSync(this.names.dir, { recursive: true, force: true });
  }

  /** What is left of this lab (empty after teardown): namespaces, root links or qdiscs, processes, files. */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    for (const ns of await namespaces()) if (ns.startsWith(this.names.id)) found.push(`namespace ${ns}`);
    for (const line of (await run('ip', ['-o', 'link'])).split('\n'))
      if (line.includes(this.names.token)) found.push(`link in the root namespace: ${line.trim()}`);
    for (const line of (await run('tc', ['qdisc', 'show'])).split('\n'))
      if (line.includes(this.names.token)) found.push(`qdisc in the root namespace: ${line.trim()}`);
    for (const pid of this.processesInside()) found.push(`process ${pid} inside the lab`);
    if (existsSync(this.names.dir)) found.push(`directory ${this.names.dir}`);
    if (this.portals.size > 0) found.push(`${this.portals.size} portals open`);
    return found;
  }

  private async addNamespace(ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns]);
    this.inodes.set(ns, statSync(`/var/run/netns/${ns}`).ino);
  }

  /** Pids whose network namespace is one of this lab's (even one already deleted from `ip netns list`). */
  private processesInside(): number[] {
    const wanted = new Set([...this.inodes.values()].map((ino) => `net:[${ino}]`));
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
      } catch {
        // exited meanwhile, or a kernel thread
      }
    }
    return pids;
  }
}

/** A new, empty lab (after sweeping labs whose process died); throws saying why when it cannot run here. */
export async function netLab(): Promise<NetLab> {
  const unavailable = netLabUnavailable();
  if (unavailable) throw new Error(unavailable);
  await sweepDeadLabs();
  installExitHandlers();
  const lab = new NetLab(labNames());
  try {
    await lab.start();
  } catch (err) {
    await lab.teardown();
    throw err;
  }
  return lab;
}

/** Runs `body` with a new lab and tears it down afterwards, whether `body` returned or threw. */
export async function withNetLab<T>(body: (lab: NetLab) => Promise<T>): Promise<T> {
  const lab = await netLab();
  try {
    return await body(lab);
  } finally {
    await lab.teardown();
  }
}

const live = new Set<NetLab>();

/**
 * Tears down every lab of this process not torn down yet: for a test's afterAll, which runs even
 * when its beforeAll timed out half way through starting a lab (and so never got hold of it).
 */
export async function teardownLabs(): Promise<void> {
  for (const lab of [...live]) await lab.teardown();
}
let handlersInstalled = false;

/**
 * A runner that exits or is stopped (SIGTERM, SIGINT, SIGHUP) tears its labs down first; a
 * signal is then raised again when nobody else handles it, so the process still ends by it.
 * SIGKILL cannot be caught: the next lab's sweep removes what such a run left.
 */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const teardownAll = () => {
    for (const lab of live) lab.teardownSync();
  };
  process.once('exit', teardownAll);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      teardownAll();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
