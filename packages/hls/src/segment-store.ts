// The SegmentStore contract: a stream's HLS segment records, beside its chunks (DESIGN §13).

import type { Fence } from '@acestream-proxy/buffer';
import type { StreamId } from '@acestream-proxy/keys';
import type { SegmentRecord } from './segment.js';

export interface SegmentStore {
  /**
   * Records a segment if `fence` still owns the stream, keeping the newest `keep`; false when
   * fenced (another owner now records).
   */
  append(id: StreamId, segment: SegmentRecord, fence?: Fence): Promise<boolean>;
  /** The kept records, oldest first. */
  list(id: StreamId): Promise<SegmentRecord[]>;
  /** The newest record, null when none. */
  last(id: StreamId): Promise<SegmentRecord | null>;
  drop(id: StreamId): Promise<void>;
}
