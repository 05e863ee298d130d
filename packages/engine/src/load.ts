// Engine slots, cluster-wide: a stream reserves one atomically before it starts, and holds it as a member.

import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';

export interface SlotCandidate {
  engineId: string;
  /**
   * Keys of the streams the orchestrator lists on this engine, from every proxy. Those this
   * cluster runs or starts there are counted once; '' stands for a stream listed without a key.
   */
  outside: readonly string[];
}

export interface SlotReservation {
  /** The engine whose slot the stream now holds; null when every candidate is full. */
  engineId: string | null;
  /** Each candidate's load as counted (members + pending starts + outside streams). */
  loads: Map<string, number>;
}

export interface EngineLoad {
  /**
   * Reserves a slot for `streamId` on the least loaded of `candidates` below `maxStreams` (the
   * first on ties), in one atomic step across workers and hosts. A stream that already holds a
   * slot on a candidate keeps it without taking another. The reservation lapses after `ttlMs`
   * unless `add` makes it membership.
   */
  reserve(streamId: string, candidates: readonly SlotCandidate[], maxStreams: number, ttlMs: number): Promise<SlotReservation>;
  /** The stream runs on `engineId`: its reservation there becomes membership; off `elsewhere`. */
  add(engineId: string, streamId: string, elsewhere: readonly string[]): Promise<void>;
  /** Frees the stream's slot (membership or reservation) on each of `engineIds`. */
  remove(engineIds: readonly string[], streamId: string): Promise<void>;
  /** Marks the engine unreachable for every worker, for `ms` unless renewed or cleared. */
  markDown(engineId: string, ms: number): Promise<void>;
  clearDown(engineId: string): Promise<void>;
  /** The engines of `engineIds` some worker found unreachable. */
  down(engineIds: string[]): Promise<Set<string>>;
}

const COMMANDS = new URL('../src/commands/', import.meta.url);

type ReserveCommand = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<number[]>;

export class RedisEngineLoad implements EngineLoad {
  private readonly reserveCommand: ReserveCommand;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    // No numberOfKeys: the script takes two keys per candidate engine.
    this.reserveCommand = defineScripts<{ aceReserveEngine: ReserveCommand }>(redis, COMMANDS, {
      aceReserveEngine: 'reserve-N',
    }).aceReserveEngine;
  }

  async reserve(
    streamId: string,
    candidates: readonly SlotCandidate[],
    maxStreams: number,
    ttlMs: number,
  ): Promise<SlotReservation> {
    if (candidates.length === 0) return { engineId: null, loads: new Map() };
    const keys = candidates.flatMap((c) => [this.keys.engineStreams(c.engineId), this.keys.enginePending(c.engineId)]);
    const outside = candidates.flatMap((c) => [c.outside.length, ...c.outside]);
    const [chosen = 0, ...loads] = await this.reserveCommand(keys.length, ...keys, streamId, maxStreams, ttlMs, ...outside);
    return {
      engineId: candidates[chosen - 1]?.engineId ?? null,
      loads: new Map(candidates.map((c, i) => [c.engineId, Number(loads[i] ?? 0)])),
    };
  }

  async add(engineId: string, streamId: string, elsewhere: readonly string[]): Promise<void> {
    const multi = this.redis
      .multi()
      .sadd(this.keys.engineStreams(engineId), streamId)
      .zrem(this.keys.enginePending(engineId), streamId);
    for (const other of elsewhere) if (other !== engineId) this.dropSlot(multi, other, streamId);
    await multi.exec();
  }

  async remove(engineIds: readonly string[], streamId: string): Promise<void> {
    if (engineIds.length === 0) return;
    const multi = this.redis.multi();
    for (const id of engineIds) this.dropSlot(multi, id, streamId);
    await multi.exec();
  }

  async markDown(engineId: string, ms: number): Promise<void> {
    await this.redis.set(this.keys.engineDown(engineId), '1', 'PX', ms);
  }

  async clearDown(engineId: string): Promise<void> {
    await this.redis.del(this.keys.engineDown(engineId));
  }

  async down(engineIds: string[]): Promise<Set<string>> {
    const pipeline = this.redis.pipeline();
    for (const id of engineIds) pipeline.exists(this.keys.engineDown(id));
    const replies = (await pipeline.exec()) ?? [];
    return new Set(engineIds.filter((_, i) => Number(replies[i]?.[1] ?? 0) === 1));
  }

  private dropSlot(multi: ReturnType<Redis['multi']>, engineId: string, streamId: string): void {
    multi.srem(this.keys.engineStreams(engineId), streamId).zrem(this.keys.enginePending(engineId), streamId);
  }
}

/** Embedded mode: one process, so maps are the whole cluster; reserve checks and takes without awaiting between. */
export class MemoryEngineLoad implements EngineLoad {
  private readonly streams = new Map<string, Set<string>>();
  /** Per engine: stream id -> reservation expiry (ms). */
  private readonly pending = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Engines holding any slot or reservation (a refused start must leave this unchanged). */
  get size(): number {
    return this.streams.size + this.pending.size;
  }

  reserve(streamId: string, candidates: readonly SlotCandidate[], maxStreams: number, ttlMs: number): Promise<SlotReservation> {
    const now = this.now();
    const loads = new Map<string, number>();
    let chosen: { engineId: string; others: number; member: boolean } | null = null;
    for (const { engineId, outside } of candidates) {
      const members = this.streams.get(engineId);
      const pending = this.livePending(engineId, now);
      const counted = (key: string) => members?.has(key) === true || pending?.has(key) === true;
      const load = (members?.size ?? 0) + (pending?.size ?? 0) + outside.filter((key) => !counted(key)).length;
      const holds = counted(streamId);
      const others = holds ? load - 1 : load;
      loads.set(engineId, load);
      if (others < maxStreams && (!chosen || others < chosen.others)) {
        chosen = { engineId, others, member: members?.has(streamId) === true };
      }
    }
    if (chosen && !chosen.member) this.slots(this.pending, chosen.engineId, () => new Map()).set(streamId, now + ttlMs);
    return Promise.resolve({ engineId: chosen?.engineId ?? null, loads });
  }

  async add(engineId: string, streamId: string, elsewhere: readonly string[]): Promise<void> {
    this.drop(engineId, streamId);
    this.slots(this.streams, engineId, () => new Set()).add(streamId);
    for (const other of elsewhere) if (other !== engineId) this.drop(other, streamId);
  }

  async remove(engineIds: readonly string[], streamId: string): Promise<void> {
    for (const id of engineIds) this.drop(id, streamId);
  }

  // One process: its EngineHealth already knows; nothing to share.
  async markDown(): Promise<void> {}
  async clearDown(): Promise<void> {}
  async down(): Promise<Set<string>> {
    return new Set();
  }

  /** The engine's reservations, those past their expiry dropped first. */
  private livePending(engineId: string, now: number): Map<string, number> | undefined {
    const pending = this.pending.get(engineId);
    if (!pending) return undefined;
    for (const [id, expiresAt] of pending) if (expiresAt <= now) pending.delete(id);
    if (pending.size === 0) this.pending.delete(engineId);
    return pending;
  }

  private slots<T>(map: Map<string, T>, engineId: string, create: () => T): T {
    let slots = map.get(engineId);
    if (!slots) {
      slots = create();
      map.set(engineId, slots);
    }
    return slots;
  }

  /** Frees the stream's slot on one engine; an engine left with none is forgotten. */
  private drop(engineId: string, streamId: string): void {
    for (const map of [this.streams, this.pending]) {
      const slots = map.get(engineId);
      slots?.delete(streamId);
      if (slots?.size === 0) map.delete(engineId);
    }
  }
}
