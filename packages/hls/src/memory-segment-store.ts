// SegmentStore in process memory: the embedded-mode twin of RedisSegmentStore.

import type { Fence } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import type { SegmentRecord } from './segment.js';
import type { SegmentStore } from './segment-store.js';

export class MemorySegmentStore implements SegmentStore {
  private readonly streams = new Map<string, SegmentRecord[]>();

  /** `keep`: records kept per stream (the playlist window and the ones just behind it). */
  constructor(private readonly keep: number) {}

  async append(id: StreamId, segment: SegmentRecord, _fence?: Fence): Promise<boolean> {
    let list = this.streams.get(id);
    if (!list) {
      list = [];
      this.streams.set(id, list);
    }
    list.push(segment);
    if (list.length > this.keep) list.splice(0, list.length - this.keep);
    return true;
  }

  async list(id: StreamId): Promise<SegmentRecord[]> {
    return [...(this.streams.get(id) ?? [])];
  }

  async last(id: StreamId): Promise<SegmentRecord | null> {
    return this.streams.get(id)?.at(-1) ?? null;
  }

  async drop(id: StreamId): Promise<void> {
    this.streams.delete(id);
  }
}
