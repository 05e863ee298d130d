// Streams per engine, cluster-wide: what engine selection reads and owners keep up to date.

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';

export interface EngineLoad {
  /** Active streams per engine id, plus 1 for an engine another worker is starting a stream on. */
  counts(engineIds: string[]): Promise<Map<string, number>>;
  /** Marks the engine busy for a moment (ms) so two workers do not pick the same free engine. */
  claim(engineId: string, ms: number): Promise<void>;
  add(engineId: string, streamId: string): Promise<void>;
  remove(engineId: string, streamId: string): Promise<void>;
  /** Marks the engine unreachable for every worker, for `ms` unless renewed or cleared. */
  markDown(engineId: string, ms: number): Promise<void>;
  clearDown(engineId: string): Promise<void>;
  /** The engines of `engineIds` some worker found unreachable. */
  down(engineIds: string[]): Promise<Set<string>>;
}

export class RedisEngineLoad implements EngineLoad {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async counts(engineIds: string[]): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    for (const id of engineIds) pipeline.scard(this.keys.engineStreams(id)).exists(this.keys.engineClaim(id));
    const replies = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    for (const [i, id] of engineIds.entries()) {
      counts.set(id, Number(replies[2 * i]?.[1] ?? 0) + Number(replies[2 * i + 1]?.[1] ?? 0));
    }
    return counts;
  }

  async claim(engineId: string, ms: number): Promise<void> {
    await this.redis.set(this.keys.engineClaim(engineId), '1', 'PX', ms);
  }

  async add(engineId: string, streamId: string): Promise<void> {
    await this.redis.multi().sadd(this.keys.engineStreams(engineId), streamId).del(this.keys.engineClaim(engineId)).exec();
  }

  async remove(engineId: string, streamId: string): Promise<void> {
    await this.redis.srem(this.keys.engineStreams(engineId), streamId);
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
}

/** Embedded mode: one process, so a map is the whole cluster. */
export class MemoryEngineLoad implements EngineLoad {
  private readonly streams = new Map<string, Set<string>>();
  private readonly claims = new Map<string, number>();

  async counts(engineIds: string[]): Promise<Map<string, number>> {
    const now = Date.now();
    return new Map(engineIds.map((id) => [id, (this.streams.get(id)?.size ?? 0) + ((this.claims.get(id) ?? 0) > now ? 1 : 0)]));
  }

  async claim(engineId: string, ms: number): Promise<void> {
    this.claims.set(engineId, Date.now() + ms);
  }

  async add(engineId: string, streamId: string): Promise<void> {
    const set = this.streams.get(engineId) ?? new Set<string>();
    this.streams.set(engineId, set);
    set.add(streamId);
    this.claims.delete(engineId);
  }

  async remove(engineId: string, streamId: string): Promise<void> {
    this.streams.get(engineId)?.delete(streamId);
  }

  // One process: its EngineHealth already knows; nothing to share.
  async markDown(): Promise<void> {}
  async clearDown(): Promise<void> {}
  async down(): Promise<Set<string>> {
    return new Set();
  }
}
