// A worker's view of its streams' HLS segments: records and chunk bytes fetched once per worker.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import type { SegmentRecord } from './segment.js';
import type { SegmentStore } from './segment-store.js';

export interface SegmentCacheOptions {
  segments: SegmentStore;
  chunks: ChunkStore;
  /** Segments listed in a playlist (PROXY_HLS_WINDOW). */
  window: number;
  /** How long a fetched record list serves every request of this worker, ms. */
  listMaxAgeMs: number;
  /** Records whose first chunk is older than this are not listed: their chunks leave the buffer soon, ms. */
  listableMs: number;
  /** A stream nobody asked about for this long is forgotten, ms. */
  idleMs: number;
}

/** A segment as served: PAT+PMT then views into the cached chunks (no copy). */
export interface SegmentBytes {
  record: SegmentRecord;
  parts: Buffer[];
  length: number;
}

interface StreamView {
  records: SegmentRecord[];
  fetchedAt: number;
  refreshing: Promise<SegmentRecord[]> | null;
  /** Chunks of the kept records, by index. */
  chunks: Map<number, Buffer>;
  fetching: Map<number, Promise<SegmentBytes | null>>;
  usedAt: number;
}

export class SegmentCache {
  private readonly streams = new Map<StreamId, StreamView>();
  private readonly sweeper: NodeJS.Timeout;
  /** Store calls made, for the bench's "Redis commands per segment request". */
  readonly calls = { lists: 0, chunkReads: 0 };

  constructor(private readonly options: SegmentCacheOptions) {
    this.sweeper = setInterval(() => this.forgetIdle(), Math.max(1000, options.idleMs / 2));
    this.sweeper.unref();
  }

  /** The playlist window: the newest `window` listable records, oldest first. */
  async playlist(id: StreamId): Promise<SegmentRecord[]> {
    const listable = this.listable(await this.records(id));
    return listable.slice(-this.options.window);
  }

  /**
   * Segment `sequence` as served, or null when it is not complete yet or has left the buffer.
   * Its chunks are read from the store once per worker, whatever the number of players.
   */
  async segment(id: StreamId, sequence: number): Promise<SegmentBytes | null> {
    let records = await this.records(id);
    // Another worker may have listed a segment this worker's copy of the list is too old for
    // (the next one or two; a sequence further ahead is not complete anywhere).
    const newest = records.at(-1)?.sequence ?? 0;
    if (sequence > newest && sequence <= newest + 2) records = await this.records(id, true);
    const record = this.listable(records).find((r) => r.sequence === sequence);
    if (!record) return null;
    const view = this.view(id);
    let pending = view.fetching.get(sequence);
    if (!pending) {
      pending = this.assemble(id, view, record).finally(() => view.fetching.delete(sequence));
      view.fetching.set(sequence, pending);
    }
    return pending;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.streams.clear();
  }

  private listable(records: SegmentRecord[]): SegmentRecord[] {
    const oldest = Date.now() - this.options.listableMs;
    return records.filter((r) => r.appendedAt >= oldest);
  }

  private async records(id: StreamId, force = false): Promise<SegmentRecord[]> {
    const view = this.view(id);
    if (!force && Date.now() - view.fetchedAt < this.options.listMaxAgeMs) return view.records;
    view.refreshing ??= this.refresh(id, view).finally(() => {
      view.refreshing = null;
    });
    return view.refreshing;
  }

  private async refresh(id: StreamId, view: StreamView): Promise<SegmentRecord[]> {
    this.calls.lists++;
    const records = await this.options.segments.list(id);
    const newest = records.at(-1);
    const known = view.records.find((r) => r.sequence === newest?.sequence);
    // The stream was stopped and started again: numbers and chunk indexes begin anew.
    if (!newest || (known && known.firstChunk !== newest.firstChunk) || newest.sequence < (view.records.at(-1)?.sequence ?? 0)) {
      view.chunks.clear();
    }
    view.records = records;
    view.fetchedAt = Date.now();
    const first = records[0]?.firstChunk ?? Number.POSITIVE_INFINITY;
    for (const n of view.chunks.keys()) if (n < first) view.chunks.delete(n);
    return records;
  }

  private async assemble(id: StreamId, view: StreamView, record: SegmentRecord): Promise<SegmentBytes | null> {
    const missing: number[] = [];
    for (let n = record.firstChunk; n <= record.lastChunk; n++) if (!view.chunks.has(n)) missing.push(n);
    if (missing.length > 0) {
      this.calls.chunkReads++;
      const from = missing[0]!;
      const to = missing.at(-1)!;
      const read = await this.options.chunks.read(id, from, to);
      read.forEach((chunk, i) => {
        if (chunk) view.chunks.set(from + i, chunk);
      });
    }
    const parts = [record.header];
    let length = record.header.length;
    for (let n = record.firstChunk; n <= record.lastChunk; n++) {
      const chunk = view.chunks.get(n);
      // A chunk that has left the buffer: never serve half a segment.
      if (!chunk) return null;
      const start = n === record.firstChunk ? record.firstOffset : 0;
      const end = n === record.lastChunk ? record.endOffset : chunk.length;
      const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      parts.push(part);
      length += part.length;
    }
    return { record, parts, length };
  }

  private view(id: StreamId): StreamView {
    let view = this.streams.get(id);
    if (!view) {
      view = { records: [], fetchedAt: 0, refreshing: null, chunks: new Map(), fetching: new Map(), usedAt: 0 };
      this.streams.set(id, view);
    }
    view.usedAt = Date.now();
    return view;
  }

  private forgetIdle(): void {
    const now = Date.now();
    for (const [id, view] of this.streams) if (now - view.usedAt > this.options.idleMs) this.streams.delete(id);
  }
}
