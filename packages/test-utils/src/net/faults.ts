// Link faults inside lab hosts: partitions and loss from nftables, rate limits from tc tbf.

import { run } from './commands.js';

/** One fault in force; `heal()` removes just it (twice is harmless). */
export interface Fault {
  readonly what: string;
  heal(): Promise<void>;
}

/** What a fault needs to know of a host: its namespace, address, and its veth on the switch. */
export interface FaultHost {
  name: string;
  netns: string;
  address: string;
  switchNs: string;
  switchPort: string;
}

/** Packets that enter the host, leave it, or both. */
export type Direction = 'in' | 'out' | 'both';

// A host gets this table with its first drop rule; faults add rules to it and remove them by handle.
const TABLE = 'acplab';
const withTable = new WeakSet<FaultHost>();

/** The host's filter table: an input and an output chain that faults add drop rules to. */
async function filterTable(host: FaultHost): Promise<void> {
  if (withTable.has(host)) return;
  await run(
    'nft',
    [
      `add table inet ${TABLE}; ` +
        `add chain inet ${TABLE} in { type filter hook input priority 0; }; ` +
        `add chain inet ${TABLE} out { type filter hook output priority 0; }`,
    ],
    host.netns,
  );
  withTable.add(host);
}

/**
 * Adds drop rules to the host's chains and returns a fault that deletes them. Every rule names
 * eth0, so traffic inside a host (its relays, its loopback) is never touched.
 */
async function dropRules(host: FaultHost, what: string, rules: { chain: 'in' | 'out'; match: string }[]): Promise<Fault> {
  await filterTable(host);
  const added: { chain: string; handle: string }[] = [];
  for (const { chain, match } of rules) {
    const device = chain === 'in' ? 'iifname' : 'oifname';
    // --echo --handle prints the rule back with "# handle N", the only way to delete it alone.
    const echoed = await run(
      'nft',
      ['--echo', '--handle', `add rule inet ${TABLE} ${chain} ${device} "eth0" ${match} drop`],
      host.netns,
    );
    const handle = /# handle (\d+)/.exec(echoed)?.[1];
    if (!handle) throw new Error(`net lab: nft gave no handle for ${what}: ${echoed}`);
    added.push({ chain, handle });
  }
  let healed = false;
  return {
    what,
    async heal() {
      if (healed) return;
      healed = true;
      for (const { chain, handle } of added)
        await run('nft', ['delete', 'rule', 'inet', TABLE, chain, 'handle', handle], host.netns);
    },
  };
}

/** `a` and `b` cannot reach each other (or, one way, `a`'s packets never reach `b`). */
export function partition(a: FaultHost, b: FaultHost, oneWay: boolean): Promise<Fault> {
  const rules: { chain: 'in' | 'out'; match: string }[] = [{ chain: 'out', match: `ip daddr ${b.address}` }];
  if (!oneWay) rules.push({ chain: 'in', match: `ip saddr ${b.address}` });
  return dropRules(a, `partition ${a.name} ${oneWay ? '->' : '<->'} ${b.name}`, rules);
}

/**
 * Each packet entering and/or leaving the host (only those to and from `peer`, when given) is
 * dropped with probability `fraction`.
 */
export function loss(target: FaultHost, fraction: number, direction: Direction, peer?: FaultHost): Promise<Fault> {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`net lab: loss fraction ${fraction} is not within 0..1`);
  const random = `numgen random mod 1000 < ${Math.round(fraction * 1000)}`;
  const chains: ('in' | 'out')[] = direction === 'both' ? ['in', 'out'] : [direction];
  const rules = chains.map((chain) => {
    const pair = peer ? `ip ${chain === 'in' ? 'saddr' : 'daddr'} ${peer.address} ` : '';
    return { chain, match: pair + random };
  });
  return dropRules(target, `loss ${fraction} ${direction} at ${target.name}${peer ? ` with ${peer.name}` : ''}`, rules);
}

/**
 * The host sends and receives at most `bitsPerSecond` (a tbf on its eth0 for what it sends, and
 * on its port of the switch for what it receives: no ifb needed). Replaces an earlier rate.
 */
export async function rate(target: FaultHost, bitsPerSecond: number): Promise<Fault> {
  if (!(bitsPerSecond >= 8000)) throw new Error(`net lab: rate ${bitsPerSecond} bit/s is below 8000`);
  // A burst of 10 ms at the rate, at least a few full frames, so tbf accepts it at any HZ.
  const burst = Math.max(Math.ceil(bitsPerSecond / 8 / 100), 4 * 1514);
  const tbf = ['root', 'tbf', 'rate', `${bitsPerSecond}bit`, 'burst', String(burst), 'latency', '100ms'];
  const devices: [string, string][] = [
    [target.netns, 'eth0'],
    [target.switchNs, target.switchPort],
  ];
  for (const [netns, dev] of devices) await run('tc', ['qdisc', 'replace', 'dev', dev, ...tbf], netns);
  let healed = false;
  return {
    what: `rate ${bitsPerSecond} bit/s at ${target.name}`,
    async heal() {
      if (healed) return;
      healed = true;
      for (const [netns, dev] of devices) await run('tc', ['qdisc', 'del', 'dev', dev, 'root'], netns).catch(() => {});
    },
  };
}
