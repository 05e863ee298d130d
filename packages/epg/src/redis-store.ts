// The guide in Redis, so every worker and host serves the copy one of them refreshed.

import { randomUUID } from 'node:crypto';
import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';
import type { GuideMeta, GuideStore, SourceCopy } from './store.js';

const COMMANDS = new URL('../src/commands/', import.meta.url);
/**
 * How long a part and its schedule live until a switch names them: far past any refresh (one
 * source after another, each within EPG_TIMEOUT), so only a crashed refresh's parts ever lapse.
 */
export const UNPUBLISHED_PART_TTL_MS = 24 * 3_600_000;

type UnlockCommand = (lock: string, token: string) => Promise<number>;
type RenewCommand = (lock: string, token: string, ttlMs: number) => Promise<number>;

export interface RedisGuideStoreOptions {
  /** Reads (on the request path: fails fast when Redis is away). */
  reads: Redis;
  /** Writes and the lock (the refresher's background connection). */
  writes: Redis;
  keys: Keys;
}

/**
 * Parts are lists of chunks read one LINDEX at a time, so neither Redis nor a worker ever moves
 * a whole guide in one reply. Nothing the switch names expires: a proxy restarted while every
 * source is down still serves the last good guide (DESIGN §19). Parts are written with an expiry
 * that the switch removes, so a refresh that dies mid-way leaves nothing behind for good.
 */
export class RedisGuideStore implements GuideStore {
  private readonly reads: Redis;
  private readonly writes: Redis;
  private readonly keys: Keys;
  private readonly scripts: { aceEpgUnlock: UnlockCommand; aceEpgRenew: RenewCommand };

  constructor(options: RedisGuideStoreOptions) {
    ({ reads: this.reads, writes: this.writes, keys: this.keys } = options);
    this.scripts = defineScripts<{ aceEpgUnlock: UnlockCommand; aceEpgRenew: RenewCommand }>(this.writes, COMMANDS, {
      aceEpgUnlock: 'unlock-1',
      aceEpgRenew: 'renew-1',
    });
  }

  async readMeta(): Promise<GuideMeta | null> {
    const raw = await this.reads.get(this.keys.epgMeta());
    return raw === null ? null : (JSON.parse(raw) as GuideMeta);
  }
  async readCopies(): Promise<Map<string, SourceCopy>> {
    const all = await this.writes.hgetall(this.keys.epgCopies());
    return new Map(Object.entries(all).map(([source, raw]) => [source, JSON.parse(raw) as SourceCopy]));
  }
  async appendChunk(partId: string, chunk: Buffer): Promise<void> {
    const key = this.keys.epgPart(partId);
    await this.writes.multi().rpush(key, chunk).pexpire(key, UNPUBLISHED_PART_TTL_MS).exec();
  }
  async readChunk(partId: string, index: number): Promise<Buffer | null> {
    return this.reads.lindexBuffer(this.keys.epgPart(partId), index);
  }
  async deleteParts(partIds: readonly string[]): Promise<void> {
    // All under the {epg} tag: one UNLINK, one slot, whatever the mode.
    if (partIds.length > 0) {
      await this.writes.unlink(...partIds.flatMap((id) => [this.keys.epgPart(id), this.keys.epgSchedule(id)]));
    }
  }
  async writeSchedule(partId: string, schedule: ReadonlyMap<string, string>): Promise<void> {
    if (schedule.size === 0) return;
    const key = this.keys.epgSchedule(partId);
    await this.writes.multi().hset(key, schedule).pexpire(key, UNPUBLISHED_PART_TTL_MS).exec();
  }
  async readSchedule(partId: string, channels: readonly string[]): Promise<Map<string, string>> {
    if (channels.length === 0) return new Map();
    const values = await this.reads.hmget(this.keys.epgSchedule(partId), ...channels);
    const found = new Map<string, string>();
    values.forEach((value, i) => {
      if (value !== null) found.set(channels[i]!, value);
    });
    return found;
  }
  async write(meta: GuideMeta, copies: ReadonlyMap<string, SourceCopy>, dropped: readonly string[]): Promise<void> {
    const tx = this.writes.multi();
    for (const [source, copy] of copies) tx.hset(this.keys.epgCopies(), source, JSON.stringify(copy));
    if (dropped.length > 0) tx.hdel(this.keys.epgCopies(), ...dropped);
    tx.set(this.keys.epgMeta(), JSON.stringify(meta));
    // The parts in use are kept from now on (those of copies kept from before already were).
    for (const { id } of [meta.parts.channels, ...meta.parts.programmes]) {
      tx.persist(this.keys.epgPart(id));
      tx.persist(this.keys.epgSchedule(id));
    }
    await tx.exec();
  }
  async lock(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const won = await this.writes.set(this.keys.epgRefreshLock(), token, 'PX', ttlMs, 'NX');
    return won === 'OK' ? token : null;
  }
  async renew(token: string, ttlMs: number): Promise<boolean> {
    return (await this.scripts.aceEpgRenew(this.keys.epgRefreshLock(), token, ttlMs)) === 1;
  }
  async unlock(token: string): Promise<void> {
    await this.scripts.aceEpgUnlock(this.keys.epgRefreshLock(), token);
  }
}
