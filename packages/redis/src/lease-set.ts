// Leases in a sorted set (member -> when it lapses), extended by their holder's heartbeat: per
// client address slots (the gateway's limits) and per user connections (packages/accounts) both
// keep theirs this way, through one script (commands/extend-leases-N.lua).

import type { Redis } from './connect.js';
import { defineScripts } from './scripts.js';

export interface Lease {
  readonly member: string;
  readonly ttlMs: number;
}

type ExtendLeases = (...args: Array<string | number>) => Promise<string[]>;

/** A pipeline (or a MULTI) of a connection LeaseSets was made on. */
interface Queue {
  aceExtendLeases(...args: Array<string | number>): unknown;
}

const args = (keys: readonly string[], now: number, leases: Iterable<Lease>): Array<string | number> => {
  const out: Array<string | number> = [keys.length, ...keys, now];
  for (const { member, ttlMs } of leases) out.push(ttlMs, member);
  return out;
};

/**
 * `keys[0]` is the lease set; further keys are hashes keyed by member whose lapsed members' fields
 * go with the leases (on a cluster every key of one call must share a slot). A lease that lapsed
 * before its extension stays gone. Scores are the caller's clock (`now`, ms).
 */
export class LeaseSets {
  private readonly command: ExtendLeases;

  constructor(redis: Redis) {
    this.command = defineScripts<{ aceExtendLeases: ExtendLeases }>(redis, new URL('../src/commands/', import.meta.url), {
      aceExtendLeases: 'extend-leases-N',
    }).aceExtendLeases;
  }

  /** Resolves the members of `leases` that were not held (lapsed or ended): they stay gone. */
  async extend(keys: readonly string[], now: number, leases: Iterable<Lease>): Promise<string[]> {
    return (await this.command(...args(keys, now, leases))).map(String);
  }

  /** The same extension queued on a pipeline of this connection (several sets in one round trip). */
  queue(pipeline: unknown, keys: readonly string[], now: number, leases: Iterable<Lease>): void {
    (pipeline as Queue).aceExtendLeases(...args(keys, now, leases));
  }
}
