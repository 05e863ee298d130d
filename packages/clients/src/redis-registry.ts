// ClientRegistry on Redis: a set of client ids per stream plus one expiring hash per client.

import type { Keys, StreamId } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { boundedInfo, type ClientActivity, type ClientInfo, type ClientRecord, type ClientRegistry } from './registry.js';

export interface RedisClientRegistryOptions {
  redis: Redis;
  keys: Keys;
  /** A client hash outlives its last heartbeat by this long (heartbeat × ghost multiplier). */
  ghostTimeoutMs: number;
}

interface PendingRegistration {
  info: ClientInfo;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RedisClientRegistry implements ClientRegistry {
  /** Registrations of this tick, per stream, written together when the tick ends. */
  private pending: Map<StreamId, PendingRegistration[]> | null = null;

  constructor(private readonly options: RedisClientRegistryOptions) {}

  /**
   * Registrations made in one tick share one transaction per stream (one write, one round trip):
   * a flash crowd costs Redis a few commands per tick, not a round trip per player.
   */
  register(id: StreamId, info: ClientInfo): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setImmediate(() => this.flushRegistrations());
      }
      let forStream = this.pending.get(id);
      if (!forStream) {
        forStream = [];
        this.pending.set(id, forStream);
      }
      forStream.push({ info: boundedInfo(info), resolve, reject });
    });
  }

  private flushRegistrations(): void {
    const pending = this.pending!;
    this.pending = null;
    const { redis, keys, ghostTimeoutMs } = this.options;
    // One MULTI per stream: its keys share a hash slot in Redis Cluster.
    for (const [id, registrations] of pending) {
      const multi = redis.multi();
      for (const { info } of registrations) {
        const key = keys.client(id, info.clientId);
        multi
          .hset(key, {
            ip: info.ip,
            user_agent: info.userAgent,
            worker_id: info.workerId,
            connected_at: String(info.connectedAt),
            last_active: String(info.connectedAt),
            bytes_sent: '0',
            skips: '0',
            kind: info.kind ?? 'ts',
            ...(info.user === undefined ? {} : { user: info.user }),
          })
          .pexpire(key, info.ttlMs ?? ghostTimeoutMs);
      }
      multi.sadd(keys.clients(id), ...registrations.map((r) => r.info.clientId));
      multi.exec().then(
        () => {
          for (const r of registrations) r.resolve();
        },
        (err: Error) => {
          for (const r of registrations) r.reject(err);
        },
      );
    }
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
        lag: Number(hash.lag ?? 0),
        ...(hash.user === undefined ? {} : { user: hash.user }),
      });
    });
    return records;
  }

  async heartbeat(activity: ClientActivity[]): Promise<void> {
    if (activity.length === 0) return;
    const { redis, keys, ghostTimeoutMs } = this.options;
    const now = String(Date.now());
    // One pipeline per stream: a pipeline must stay in one slot on a Redis Cluster.
    const byStream = new Map<StreamId, ClientActivity[]>();
    for (const a of activity) {
      const group = byStream.get(a.streamId);
      if (group) group.push(a);
      else byStream.set(a.streamId, [a]);
    }
    await Promise.all(
      [...byStream.values()].map((group) => {
        const pipeline = redis.pipeline();
        for (const a of group) {
          const key = keys.client(a.streamId, a.clientId);
          pipeline.hset(
            key,
            'last_active',
            now,
            'bytes_sent',
            String(a.bytesSent),
            'skips',
            String(a.skips),
            'lag',
            String(a.lag ?? 0),
          );
          pipeline.pexpire(key, a.ttlMs ?? ghostTimeoutMs);
          // Puts back a client a Redis that restarted empty forgot (a no-op otherwise).
          pipeline.sadd(keys.clients(a.streamId), a.clientId);
        }
        return pipeline.exec();
      }),
    );
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
