// ChunkStore on Redis: one Lua call per append, Buffer reads, index-only notifications.

import { readFileSync } from 'node:fs';
import type { Keys, StreamId } from '@acestream-proxy/keys';
import type { Redis, Subscriptions } from '@acestream-proxy/redis';
import type { AppendResult, ChunkStore, Fence, IndexListener } from './chunk-store.js';

const APPEND_LUA = readFileSync(new URL('../src/commands/append-5.lua', import.meta.url), 'utf8');
const RESTORE_INDEX_LUA = readFileSync(new URL('../src/commands/restore-index-1.lua', import.meta.url), 'utf8');

type AppendCommand = (
  index: string,
  chunk: string,
  owner: string,
  epoch: string,
  expired: string,
  n: number,
  bytes: Buffer,
  ttl: number,
  channel: string,
  workerId: string,
  fenceEpoch: number,
) => Promise<number>;

type RestoreIndexCommand = (index: string, n: number) => Promise<number>;

export interface RedisChunkStoreOptions {
  redis: Redis;
  subscriptions: Subscriptions;
  keys: Keys;
  /** Seconds a chunk lives (PROXY_BUFFER_TTL). */
  ttlSeconds: number;
}

export class RedisChunkStore implements ChunkStore {
  private readonly redis: Redis;
  private readonly appendChunk: AppendCommand;
  private readonly restoreIndexCommand: RestoreIndexCommand;

  constructor(private readonly options: RedisChunkStoreOptions) {
    this.redis = options.redis;
    // defineCommand loads the script once and calls it by SHA from then on.
    if (!('aceAppendChunk' in this.redis)) {
      this.redis.defineCommand('aceAppendChunk', { numberOfKeys: 5, lua: APPEND_LUA });
    }
    if (!('aceRestoreIndex' in this.redis)) {
      this.redis.defineCommand('aceRestoreIndex', { numberOfKeys: 1, lua: RESTORE_INDEX_LUA });
    }
    const command = (this.redis as unknown as { aceAppendChunk: AppendCommand }).aceAppendChunk;
    this.appendChunk = command.bind(this.redis);
    const restore = (this.redis as unknown as { aceRestoreIndex: RestoreIndexCommand }).aceRestoreIndex;
    this.restoreIndexCommand = restore.bind(this.redis);
  }

  async restoreIndex(id: StreamId, index: number): Promise<void> {
    await this.restoreIndexCommand(this.options.keys.bufferIndex(id), index);
  }

  async append(id: StreamId, index: number, chunk: Buffer, fence?: Fence, expired?: number): Promise<AppendResult> {
    const { keys, ttlSeconds } = this.options;
    const result = await this.appendChunk(
      keys.bufferIndex(id),
      keys.chunk(id, index),
      keys.owner(id),
      keys.ownerEpoch(id),
      keys.chunk(id, expired ?? index),
      index,
      chunk,
      ttlSeconds,
      keys.chunksChannel(id),
      fence?.workerId ?? '',
      fence?.epoch ?? 0,
    );
    return result === -1 ? 'fenced' : result === -2 ? 'conflict' : 'ok';
  }

  async lastIndex(id: StreamId): Promise<number> {
    const value = await this.redis.get(this.options.keys.bufferIndex(id));
    return value === null ? 0 : Number(value);
  }

  async read(id: StreamId, from: number, to: number): Promise<Array<Buffer | null>> {
    if (to < from) return [];
    const names: string[] = [];
    for (let n = from; n <= to; n++) names.push(this.options.keys.chunk(id, n));
    return this.redis.mgetBuffer(...names);
  }

  subscribe(id: StreamId, listener: IndexListener): Promise<() => Promise<void>> {
    return this.options.subscriptions.listen(this.options.keys.chunksChannel(id), (message) => {
      listener(Number(message.toString('latin1')));
    });
  }

  async drop(id: StreamId): Promise<void> {
    const { keys } = this.options;
    const pattern = `${keys.chunkPrefix(id)}*`;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await this.redis.unlink(...found);
    } while (cursor !== '0');
    await this.redis.unlink(keys.bufferIndex(id));
  }
}
