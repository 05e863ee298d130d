// ClientRegistry on Redis: a set of client ids per stream plus one expiring hash per client.

import type { Keys, StreamId } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import type { ClientActivity, ClientInfo, ClientRecord, ClientRegistry } from './registry.js';

export interface RedisClientRegistryOptions {
  redis: Redis;
  keys: Keys;
  /** A client hash outlives its last heartbeat by this long (heartbeat × ghost multiplier). */
  ghostTimeoutMs: number;
}

export class RedisClientRegistry implements ClientRegistry {
  constructor(private readonly options: RedisClientRegistryOptions) {}

  async register(id: StreamId, info: ClientInfo): Promise<void> {
    const { redis, keys, ghostTimeoutMs } = this.options;
    const key = keys.client(id, info.clientId);
    await redis
      .multi()
      .sadd(keys.clients(id), info.clientId)
      .hset(key, {
        ip: info.ip,
        user_agent: info.userAgent,
        worker_id: info.workerId,
        connected_at: String(info.connectedAt),
        last_active: String(info.connectedAt),
        bytes_sent: '0',
        skips: '0',
        kind: info.kind ?? 'ts',
      })
      .pexpire(key, info.ttlMs ?? ghostTimeoutMs)
      .exec();
  }

  async unregister(id: StreamId, clientId: string): Promise<number> {
    const { redis, keys } = this.options;
    const result = await redis
      .multi()
      .srem(keys.clients(id), clientId)
      .unlink(keys.client(id, clientId))
      .scard(keys.clients(id))
      .exec();
    return Number(result?.[2]?.[1] ?? 0);
  }

  count(id: StreamId): Promise<number> {
    return this.options.redis.scard(this.options.keys.clients(id));
  }

  async list(id: StreamId): Promise<ClientRecord[]> {
    const { redis, keys } = this.options;
    const ids = await redis.smembers(keys.clients(id));
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const clientId of ids) pipeline.hgetall(keys.client(id, clientId));
    const hashes = (await pipeline.exec()) ?? [];
    const records: ClientRecord[] = [];
    ids.forEach((clientId, i) => {
      const hash = hashes[i]?.[1] as Record<string, string> | undefined;
      if (!hash || Object.keys(hash).length === 0) return;
      records.push({
        clientId,
        kind: hash.kind === 'hls' ? 'hls' : 'ts',
        ip: hash.ip ?? '',
        userAgent: hash.user_agent ?? '',
        workerId: hash.worker_id ?? '',
        connectedAt: Number(hash.connected_at),
        lastActive: Number(hash.last_active),
        bytesSent: Number(hash.bytes_sent),
        skips: Number(hash.skips),
      });
    });
    return records;
  }

  async heartbeat(activity: ClientActivity[]): Promise<void> {
    if (activity.length === 0) return;
    const { redis, keys, ghostTimeoutMs } = this.options;
    const now = String(Date.now());
    const pipeline = redis.pipeline();
    for (const a of activity) {
      const key = keys.client(a.streamId, a.clientId);
      pipeline.hset(key, 'last_active', now, 'bytes_sent', String(a.bytesSent), 'skips', String(a.skips));
      pipeline.pexpire(key, a.ttlMs ?? ghostTimeoutMs);
    }
    await pipeline.exec();
  }

  async sweep(id: StreamId): Promise<number> {
    const { redis, keys } = this.options;
    const ids = await redis.smembers(keys.clients(id));
    if (ids.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const clientId of ids) pipeline.exists(keys.client(id, clientId));
    const exists = (await pipeline.exec()) ?? [];
    const ghosts = ids.filter((_, i) => exists[i]?.[1] === 0);
    if (ghosts.length === 0) return ids.length;
    await redis.srem(keys.clients(id), ...ghosts);
    return ids.length - ghosts.length;
  }

  async removeWorker(id: StreamId, workerId: string): Promise<number> {
    const { redis, keys } = this.options;
    const gone = (await this.list(id)).filter((c) => c.workerId === workerId).map((c) => c.clientId);
    if (gone.length > 0) {
      await redis
        .multi()
        .srem(keys.clients(id), ...gone)
        .unlink(...gone.map((clientId) => keys.client(id, clientId)))
        .exec();
    }
    return this.sweep(id);
  }

  async drop(id: StreamId): Promise<void> {
    const { redis, keys } = this.options;
    const ids = await redis.smembers(keys.clients(id));
    await redis.unlink(keys.clients(id), ...ids.map((clientId) => keys.client(id, clientId)));
  }
}
