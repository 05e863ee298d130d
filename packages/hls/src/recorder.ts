// The owner's HLS recorder: segments cut from the chunks it appends, written beside them in order.

import type { Fence } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import type { SegmentRecord } from './segment.js';
import type { SegmentStore } from './segment-store.js';
import { Segmenter } from './segmenter.js';

export interface SegmentRecorderOptions {
  id: StreamId;
  store: SegmentStore;
  fence?: Fence;
  targetMs: number;
  onError?: (err: Error) => void;
}

/**
 * Watches one ownership of a stream (the owner's chunk observer). `open()` continues the numbering
 * of the records an earlier owner left, the first new segment marked as a discontinuity.
 */
export class SegmentRecorder {
  private segmenter: Segmenter | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SegmentRecorderOptions) {}

  async open(): Promise<void> {
    const previous = await this.options.store.last(this.options.id).catch(() => null);
    this.segmenter = new Segmenter({
      targetMs: this.options.targetMs,
      previous,
      onSegment: (segment) => this.write(segment),
    });
  }

  appended(index: number, chunk: Buffer): void {
    if (!this.closed) this.segmenter?.push(index, chunk, Date.now());
  }

  discontinuity(): void {
    if (!this.closed) this.segmenter?.discontinuity();
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves once every segment decided so far is written (tests, shutdown). */
  flushed(): Promise<void> {
    return this.writing;
  }

  // Writes run one after another, so records reach the store in sequence order.
  private write(segment: SegmentRecord): void {
    const { store, id, fence, onError } = this.options;
    this.writing = this.writing.then(async () => {
      if (this.closed) return;
      try {
        if (!(await store.append(id, segment, fence))) this.closed = true;
      } catch (err) {
        onError?.(err as Error);
      }
    });
  }
}
