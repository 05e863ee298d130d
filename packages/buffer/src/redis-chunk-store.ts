// ChunkStore on Redis: one Lua call per append, Buffer reads, index-only notifications.

import type { Keys, StreamId } from '@acestream-proxy/keys';
import { defineScripts, type Redis, type Subscriptions, scanKeys } from '@acestream-proxy/redis';
import type { AppendResult, ChunkStore, Fence, IndexListener } from './chunk-store.js';

const COMMANDS = new URL('../src/commands/', import.meta.url);

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
  publishCommand: string,
) => Promise<number>;

type RestoreIndexCommand = (index: string, n: number) => Promise<number>;

export interface RedisChunkStoreOptions {
  redis: Redis;
  subscriptions: Subscriptions;
  keys: Keys;
  /** Seconds a chunk lives (PROXY_BUFFER_TTL). */
  ttlSeconds: number;
  /**
   * A subscriber that has heard nothing for this long re-reads the index (default 750 ms): a
   * subscription lost in a failover or a slot move costs at most this much, whatever the client
   * library does. A live stream announces a chunk every flush interval, so this costs nothing then.
   */
  silenceMs?: number;
  /**
   * A subscriber that heard a notification and then nothing for this long re-reads the index once
   * (off by default; the gateway uses 1.5 flush intervals). A notification is one small packet: lost
   * on the way, TCP resends it only after its tail-loss probe (at least the 200 ms delayed-ACK
   * maximum) and holds every later one behind it, so each lost packet delayed a chunk by 200+ ms for
   * all of a worker's players (network tests, 0.5% loss to Redis). This read goes over the command
   * connection, not the stuck one.
   */
  lateMs?: number;
}

export class RedisChunkStore implements ChunkStore {
  private readonly redis: Redis;
  private readonly appendChunk: AppendCommand;
  private readonly restoreIndexCommand: RestoreIndexCommand;

  constructor(private readonly options: RedisChunkStoreOptions) {
    this.redis = options.redis;
    const scripts = defineScripts<{ aceAppendChunk: AppendCommand; aceRestoreIndex: RestoreIndexCommand }>(this.redis, COMMANDS, {
      aceAppendChunk: 'append-5',
      aceRestoreIndex: 'restore-index-1',
    });
    this.appendChunk = scripts.aceAppendChunk;
    this.restoreIndexCommand = scripts.aceRestoreIndex;
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
      this.options.subscriptions.publishCommand,
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

  async subscribe(id: StreamId, listener: IndexListener): Promise<() => Promise<void>> {
    const { subscriptions, keys, silenceMs = 750, lateMs } = this.options;
    let heardAt = Date.now();
    // Armed at the start and by every notification: it fires once per silence longer than `lateMs`.
    const late = lateMs ? setTimeout(() => reread(), lateMs) : null;
    late?.unref();
    const stop = await subscriptions.listen(keys.chunksChannel(id), (message) => {
      heardAt = Date.now();
      late?.refresh();
      listener(Number(message.toString('latin1')));
    });
    // Pub/Sub is lossy: announce the index as it is now, and the listener catches up from its own
    // last index to it (a repeated index is a no-op for it).
    const reread = () => {
      this.lastIndex(id).then(
        (index) => index > 0 && listener(index),
        () => {},
      );
    };
    const offResubscribe = subscriptions.onResubscribe(reread);
    // Checked three times per period, so a silence is noticed at most a third late; re-read at
    // most once per period while it lasts.
    let rereadAt = 0;
    const silence = setInterval(
      () => {
        const now = Date.now();
        if (now - heardAt < silenceMs || now - rereadAt < silenceMs) return;
        rereadAt = now;
        reread();
      },
      Math.max(10, Math.floor(silenceMs / 3)),
    );
    silence.unref();
    return async () => {
      clearInterval(silence);
      if (late) clearTimeout(late);
      offResubscribe();
      await stop();
    };
  }

  async drop(id: StreamId): Promise<void> {
    const { keys } = this.options;
    for await (const found of scanKeys(this.redis, `${keys.chunkPrefix(id)}*`)) await this.redis.unlink(...found);
    await this.redis.unlink(keys.bufferIndex(id));
  }
}
