// Leases in a sorted set (member -> when it lapses), extended by their holder's heartbeat: per
// client address slots (the gateway's limits) and per user connections (packages/accounts) both
// keep theirs this way, through one script (commands/extend-leases-N.lua).

import type { Redis } from './connect.js';
import { defineScripts } from './scripts.js';

export interface Lease {
  readonly member: string;
  readonly ttlMs: number;
}

/** Where the leases are; on a cluster every key must share a slot. */
export interface LeaseKeys {
  /** The sorted set: member -> when its lease lapses (ms, the caller's clock). */
  readonly set: string;
  /** Hashes keyed by member that go with the leases: a lapsed member's fields are dropped. */
  readonly beside?: readonly string[];
  /** A sorted set of members ended on purpose: a refresh reports them apart from the merely missing. */
  readonly ended?: string;
}

/** The members of an extension that were not held: they stay gone. */
export interface Unheld {
  /** In the `ended` set: ended on purpose (evicted, cut). */
  readonly ended: string[];
  /** Lapsed, or forgotten by a Redis that restarted empty. */
  readonly missing: string[];
}

type ExtendLeases = (...args: Array<string | number>) => Promise<[unknown[], unknown[]]>;

/** A pipeline (or a MULTI) of a connection LeaseSets was made on. */
interface Queue {
  aceExtendLeases(...args: Array<string | number>): unknown;
}

function args(keys: LeaseKeys, now: number, leases: Iterable<Lease>): Array<string | number> {
  const beside = keys.beside ?? [];
  const names = [keys.set, ...beside, ...(keys.ended ? [keys.ended] : [])];
  const out: Array<string | number> = [names.length, ...names, now, beside.length];
  for (const { member, ttlMs } of leases) out.push(ttlMs, member);
  return out;
}

/** A reply of the script as Unheld (a pipeline's replies go through it too). */
export function unheld(reply: [unknown[], unknown[]]): Unheld {
  return { missing: reply[0].map(String), ended: reply[1].map(String) };
}

/** Extends leases held; a lease that lapsed or was ended before its extension stays gone. */
export class LeaseSets {
  private readonly command: ExtendLeases;

  constructor(redis: Redis) {
    this.command = defineScripts<{ aceExtendLeases: ExtendLeases }>(redis, new URL('../src/commands/', import.meta.url), {
      aceExtendLeases: 'extend-leases-N',
    }).aceExtendLeases;
  }

  async extend(keys: LeaseKeys, now: number, leases: Iterable<Lease>): Promise<Unheld> {
    return unheld(await this.command(...args(keys, now, leases)));
  }

  /** The same extension queued on a pipeline of this connection (several sets in one round trip). */
  queue(pipeline: unknown, keys: LeaseKeys, now: number, leases: Iterable<Lease>): void {
    (pipeline as Queue).aceExtendLeases(...args(keys, now, leases));
  }
}
