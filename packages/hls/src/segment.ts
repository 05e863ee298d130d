// An HLS segment as the owner records it: a range of buffer chunks, cut on a picture (DESIGN §13).

/**
 * The bytes of a segment are PAT+PMT (`header`), then chunk `firstChunk` from `firstOffset`,
 * every chunk after it, and chunk `lastChunk` up to `endOffset` (exclusive).
 */
export interface SegmentRecord {
  /** Media sequence number: the same on every worker and host. */
  sequence: number;
  firstChunk: number;
  firstOffset: number;
  lastChunk: number;
  endOffset: number;
  durationMs: number;
  /** Not continuous with the segment before (engine switch, reconnect, owner takeover). */
  discontinuity: boolean;
  /** EXT-X-DISCONTINUITY tags up to and including this segment's, over the stream's life. */
  discontinuitySequence: number;
  /** Wall clock of the segment's first picture, epoch ms (EXT-X-PROGRAM-DATE-TIME). */
  startedAt: number;
  /** Wall clock when its first chunk was appended, epoch ms: its chunks leave the buffer a TTL later. */
  appendedAt: number;
  /** Length of the segment as served, header included. */
  bytes: number;
  /** PAT and PMT (discontinuity-flagged) a player needs before the segment's first picture. */
  header: Buffer;
}

/** One line of text per record (fields, then the header in base64): what the Redis list holds. */
export function encodeSegment(r: SegmentRecord): string {
  return [
    r.sequence,
    r.firstChunk,
    r.firstOffset,
    r.lastChunk,
    r.endOffset,
    r.durationMs,
    r.discontinuity ? 1 : 0,
    r.discontinuitySequence,
    r.startedAt,
    r.appendedAt,
    r.bytes,
    r.header.toString('base64'),
  ].join(' ');
}

export function decodeSegment(line: string): SegmentRecord {
  const f = line.split(' ');
  const n = (i: number) => Number(f[i]);
  return {
    sequence: n(0),
    firstChunk: n(1),
    firstOffset: n(2),
    lastChunk: n(3),
    endOffset: n(4),
    durationMs: n(5),
    discontinuity: f[6] === '1',
    discontinuitySequence: n(7),
    startedAt: n(8),
    appendedAt: n(9),
    bytes: n(10),
    header: Buffer.from(f[11] ?? '', 'base64'),
  };
}
