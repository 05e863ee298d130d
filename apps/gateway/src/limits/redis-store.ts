// The per address counters in Redis (one server or a Cluster): sorted sets under the `{limits}` tag.

import { readFileSync } from 'node:fs';
import type { Keys } from '@acestream-proxy/keys';
import { type Lease, LeaseSets, type Redis } from '@acestream-proxy/redis';
import type { HeldSlot, LimitStore } from './store.js';

const script = (name: string) => readFileSync(new URL(`../../src/limits/commands/${name}.lua`, import.meta.url), 'utf8');
const LUA = { connect: script('connect-1'), start: script('start-1') };

type OneKeyCommand = (key: string, ...args: Array<string | number>) => Promise<number>;
type Commands = Record<'aceConnectSlot' | 'aceCountStart', OneKeyCommand>;

/**
 * Scores are times from this host's clock (hosts run NTP: a second of skew shifts a minute's
 * window or a slot's expiry by that second, no more).
 */
export class RedisLimitStore implements LimitStore {
  private readonly commands: Commands;
  private readonly leases: LeaseSets;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => number = Date.now,
  ) {
    if (!('aceConnectSlot' in redis)) {
      redis.defineCommand('aceConnectSlot', { numberOfKeys: 1, lua: LUA.connect });
      redis.defineCommand('aceCountStart', { numberOfKeys: 1, lua: LUA.start });
    }
    this.commands = redis as unknown as Commands;
    this.leases = new LeaseSets(redis);
  }

  async connect(slot: HeldSlot, limit: number): Promise<boolean> {
    const key = this.keys.addressConnections(slot.address);
    return (await this.commands.aceConnectSlot(key, slot.player, limit, this.now(), slot.ttlMs)) === 1;
  }

  async refresh(slots: readonly HeldSlot[]): Promise<void> {
    if (slots.length === 0) return;
    const byAddress = new Map<string, Lease[]>();
    for (const slot of slots) {
      const leases = byAddress.get(slot.address) ?? [];
      leases.push({ member: slot.player, ttlMs: slot.ttlMs });
      byAddress.set(slot.address, leases);
    }
    // One script per address, all in one pipeline: the keys share the `{limits}` slot.
    const pipeline = this.redis.pipeline();
    const now = this.now();
    for (const [address, leases] of byAddress)
      this.leases.queue(pipeline, { set: this.keys.addressConnections(address) }, now, leases);
    const failed = (await pipeline.exec())?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async disconnect(address: string, player: string): Promise<void> {
    await this.redis.zrem(this.keys.addressConnections(address), player);
  }

  async start(address: string, start: string, limit: number, windowMs: number): Promise<number> {
    return this.commands.aceCountStart(this.keys.addressStarts(address), start, limit, this.now(), windowMs);
  }

  async connections(address: string): Promise<number> {
    return this.redis.zcount(this.keys.addressConnections(address), `(${this.now()}`, '+inf');
  }
}
