// The ChunkStore contract: a per-stream ring of TS chunks with index notifications (DESIGN §3).

import type { StreamId } from '@acestream-proxy/keys';

/** Who is appending: the fencing token of the stream's owner (DESIGN §5). */
export interface Fence {
  readonly workerId: string;
  readonly epoch: number;
  /**
   * performance.now() when the claim that made this token was sent: the lease runs from then by
   * the holder's own clock, never later than Redis' expiry of the owner key (DESIGN §18).
   */
  readonly leaseFrom?: number;
}

export type AppendResult = 'ok' | 'fenced' | 'conflict';

export type IndexListener = (index: number) => void;

export interface ChunkStore {
  /**
   * Stores chunk `index` (which must be the last index + 1) and announces it. `expired`, when
   * given, is a chunk that has left the buffer's time window: it is deleted in the same call.
   */
  append(id: StreamId, index: number, chunk: Buffer, fence?: Fence, expired?: number): Promise<AppendResult>;
  /** Last appended index, 0 when the stream has none. */
  lastIndex(id: StreamId): Promise<number>;
  /**
   * Raises the last index to `index` when it is lower: the owner puts back what a Redis that
   * restarted empty forgot, so the next append continues the sequence workers already follow.
   */
  restoreIndex(id: StreamId, index: number): Promise<void>;
  /** Chunks `from..to` inclusive; an expired chunk is `null`. */
  read(id: StreamId, from: number, to: number): Promise<Array<Buffer | null>>;
  /** Calls `listener` with each announced index; the result unsubscribes. */
  subscribe(id: StreamId, listener: IndexListener): Promise<() => Promise<void>>;
  /** Deletes the index and every chunk of a stream. */
  drop(id: StreamId): Promise<void>;
}
