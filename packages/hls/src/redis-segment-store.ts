// SegmentStore on Redis: a list of records per stream, appended by one fenced Lua call.

import type { Fence } from '@acestream-proxy/buffer';
import type { Keys, StreamId } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';
import { decodeSegment, encodeSegment, type SegmentRecord } from './segment.js';
import type { SegmentStore } from './segment-store.js';

const COMMANDS = new URL('../src/commands/', import.meta.url);

type RecordCommand = (
  list: string,
  owner: string,
  epoch: string,
  record: string,
  keep: number,
  ttl: number,
  workerId: string,
  fenceEpoch: number,
) => Promise<number>;

export interface RedisSegmentStoreOptions {
  redis: Redis;
  keys: Keys;
  /** Records kept per stream. */
  keep: number;
  /** Seconds the list outlives its last append (PROXY_BUFFER_TTL: the chunks it names are gone then). */
  ttlSeconds: number;
}

export class RedisSegmentStore implements SegmentStore {
  private readonly record: RecordCommand;

  constructor(private readonly options: RedisSegmentStoreOptions) {
    this.record = defineScripts<{ aceRecordSegment: RecordCommand }>(options.redis, COMMANDS, {
      aceRecordSegment: 'record-segment-3',
    }).aceRecordSegment;
  }

  async append(id: StreamId, segment: SegmentRecord, fence?: Fence): Promise<boolean> {
    const { keys, keep, ttlSeconds } = this.options;
    const result = await this.record(
      keys.hlsSegments(id),
      keys.owner(id),
      keys.ownerEpoch(id),
      encodeSegment(segment),
      keep,
      ttlSeconds,
      fence?.workerId ?? '',
      fence?.epoch ?? 0,
    );
    return result >= 0;
  }

  async list(id: StreamId): Promise<SegmentRecord[]> {
    const lines = await this.options.redis.lrange(this.options.keys.hlsSegments(id), 0, -1);
    return lines.map(decodeSegment);
  }

  async last(id: StreamId): Promise<SegmentRecord | null> {
    const [line] = await this.options.redis.lrange(this.options.keys.hlsSegments(id), -1, -1);
    return line ? decodeSegment(line) : null;
  }

  async drop(id: StreamId): Promise<void> {
    await this.options.redis.unlink(this.options.keys.hlsSegments(id));
  }
}
