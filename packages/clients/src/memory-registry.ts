// ClientRegistry in process memory: the embedded-mode twin of RedisClientRegistry.

import type { StreamId } from '@acestream-proxy/keys';
import { boundedInfo, type ClientActivity, type ClientInfo, type ClientRecord, type ClientRegistry } from './registry.js';

/** A record and, for records with a lifetime (HLS sessions), when it expires. */
type Entry = ClientRecord & { expiresAt?: number };

export class MemoryClientRegistry implements ClientRegistry {
  private readonly streams = new Map<string, Map<string, Entry>>();

  async register(id: StreamId, given: ClientInfo): Promise<void> {
    const info = boundedInfo(given);
    let clients = this.streams.get(id);
    if (!clients) {
      clients = new Map();
      this.streams.set(id, clients);
    }
    const expiresAt = info.ttlMs === undefined ? undefined : Date.now() + info.ttlMs;
    clients.set(info.clientId, {
      ...info,
      kind: info.kind ?? 'ts',
      lastActive: info.connectedAt,
      bytesSent: 0,
      skips: 0,
      lag: 0,
      expiresAt,
    });
  }

  async unregister(id: StreamId, clientId: string): Promise<number> {
    const clients = this.streams.get(id);
    if (!clients) return 0;
    clients.delete(clientId);
    if (clients.size === 0) this.streams.delete(id);
    return clients.size;
  }

  async count(id: StreamId): Promise<number> {
    this.expire(id);
    return this.streams.get(id)?.size ?? 0;
  }

  async list(id: StreamId): Promise<ClientRecord[]> {
    this.expire(id);
    return [...(this.streams.get(id)?.values() ?? [])].map(({ expiresAt: _, ...record }) => record);
  }

  async heartbeat(activity: ClientActivity[]): Promise<void> {
    const now = Date.now();
    for (const a of activity) {
      const record = this.streams.get(a.streamId)?.get(a.clientId);
      if (!record) continue;
      record.lastActive = now;
      record.bytesSent = a.bytesSent;
      record.skips = a.skips;
      record.lag = a.lag ?? 0;
      if (a.ttlMs !== undefined) record.expiresAt = now + a.ttlMs;
    }
  }

  /** In one process only records with a lifetime (HLS sessions) go stale, and count() drops them. */
  async sweep(id: StreamId): Promise<number> {
    return this.count(id);
  }

  async removeWorker(id: StreamId, workerId: string): Promise<number> {
    const clients = this.streams.get(id);
    for (const [clientId, record] of clients ?? []) if (record.workerId === workerId) clients!.delete(clientId);
    return this.count(id);
  }

  // Records whose lifetime ran out, as Redis would have expired their hash.
  private expire(id: StreamId): void {
    const clients = this.streams.get(id);
    if (!clients) return;
    const now = Date.now();
    for (const [clientId, record] of clients)
      if (record.expiresAt !== undefined && record.expiresAt <= now) clients.delete(clientId);
    if (clients.size === 0) this.streams.delete(id);
  }

  async drop(id: StreamId): Promise<void> {
    this.streams.delete(id);
  }
}
