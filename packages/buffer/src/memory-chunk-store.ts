// ChunkStore in process memory: the embedded-mode twin of RedisChunkStore, same contract.

import type { StreamId } from '@acestream-proxy/keys';
import type { AppendResult, ChunkStore, Fence, IndexListener } from './chunk-store.js';

interface MemoryStream {
  last: number;
  chunks: Map<number, { bytes: Buffer; expiresAt: number }>;
  listeners: Set<IndexListener>;
}

export class MemoryChunkStore implements ChunkStore {
  private readonly streams = new Map<string, MemoryStream>();

  /** `ttlSeconds` as PROXY_BUFFER_TTL; `now` is injectable so tests can age chunks. */
  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async append(id: StreamId, index: number, chunk: Buffer, _fence?: Fence, expired?: number): Promise<AppendResult> {
    const stream = this.stream(id);
    if (index !== stream.last + 1) return 'conflict';
    if (expired !== undefined) stream.chunks.delete(expired);
    const now = this.now();
    stream.chunks.set(index, { bytes: chunk, expiresAt: now + this.ttlSeconds * 1000 });
    stream.last = index;
    this.expire(stream, now);
    for (const listener of stream.listeners) listener(index);
    return 'ok';
  }

  async lastIndex(id: StreamId): Promise<number> {
    return this.streams.get(id)?.last ?? 0;
  }

  async restoreIndex(id: StreamId, index: number): Promise<void> {
    const stream = this.stream(id);
    if (stream.last < index) stream.last = index;
  }

  async read(id: StreamId, from: number, to: number): Promise<Array<Buffer | null>> {
    const stream = this.streams.get(id);
    const now = this.now();
    const out: Array<Buffer | null> = [];
    for (let n = from; n <= to; n++) {
      const entry = stream?.chunks.get(n);
      out.push(entry && entry.expiresAt > now ? entry.bytes : null);
    }
    return out;
  }

  async subscribe(id: StreamId, listener: IndexListener): Promise<() => Promise<void>> {
    const stream = this.stream(id);
    stream.listeners.add(listener);
    return async () => {
      stream.listeners.delete(listener);
      this.forgetIfIdle(id, stream);
    };
  }

  async drop(id: StreamId): Promise<void> {
    const stream = this.streams.get(id);
    if (!stream) return;
    stream.chunks.clear();
    stream.last = 0;
    this.forgetIfIdle(id, stream);
  }

  private stream(id: StreamId): MemoryStream {
    let stream = this.streams.get(id);
    if (!stream) {
      stream = { last: 0, chunks: new Map(), listeners: new Set() };
      this.streams.set(id, stream);
    }
    return stream;
  }

  // Chunks are appended in index order, so expired ones are always at the front of the map.
  private expire(stream: MemoryStream, now: number): void {
    for (const [n, entry] of stream.chunks) {
      if (entry.expiresAt > now) break;
      stream.chunks.delete(n);
    }
  }

  private forgetIfIdle(id: StreamId, stream: MemoryStream): void {
    if (stream.last === 0 && stream.listeners.size === 0) this.streams.delete(id);
  }
}
