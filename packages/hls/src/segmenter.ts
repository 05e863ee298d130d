// Decides HLS segment boundaries as the owner appends chunks: on video random access points, by PTS.

import { findRandomAccess, PsiTracker, readPts, TS_PACKET_SIZE } from '@acestream-proxy/ts';
import type { SegmentRecord } from './segment.js';

export interface SegmenterOptions {
  /** Shortest segment (PROXY_HLS_TARGET_DURATION), ms. */
  targetMs: number;
  /** Where numbering resumes: the last segment an earlier owner recorded, if any. */
  previous?: SegmentRecord | null;
  onSegment: (segment: SegmentRecord) => void;
}

/** The segment being filled. */
interface OpenSegment {
  firstChunk: number;
  firstOffset: number;
  startPts: number | null;
  /** Wall clock of the chunk the segment starts in. */
  startAt: number;
  header: Buffer;
  discontinuity: boolean;
  /** Bytes counted so far (header + chunk bytes up to the end of the last chunk seen). */
  bytes: number;
}

const PTS_WRAP = 2 ** 33;

/**
 * A segment starts at a video random access point at least `targetMs` (by PTS) after the previous
 * one. Streams without random access marks fall back to cuts at chunk starts (whole packets) by
 * wall clock: the first after 2 × target without a picture, then every target.
 */
export class Segmenter {
  private readonly psi = new PsiTracker();
  private open: OpenSegment | null = null;
  private nextSequence: number;
  private discontinuitySequence: number;
  /** End of the last recorded segment (start + duration), so PDT never goes back. */
  private lastEndAt: number;
  /** The next segment follows a break (new engine session, new owner). */
  private pendingDiscontinuity: boolean;
  /** Wall clock since when a first picture has been awaited (null: not waiting yet). */
  private waitingSince: number | null = null;
  private sawRandomAccess = false;
  private lastIndex = 0;
  private lastLength = 0;
  private lastAt = 0;

  constructor(private readonly options: SegmenterOptions) {
    const previous = options.previous ?? null;
    this.nextSequence = previous ? previous.sequence + 1 : 1;
    this.discontinuitySequence = previous?.discontinuitySequence ?? 0;
    this.lastEndAt = previous ? previous.startedAt + previous.durationMs : 0;
    this.pendingDiscontinuity = previous !== null;
  }

  /** A chunk the owner has just appended, at index `index`, at wall clock `at`. */
  push(index: number, chunk: Buffer, at: number): void {
    this.psi.observe(chunk);
    const target = this.options.targetMs;
    // A stream without random access marks is cut on chunk boundaries every target; one whose
    // marks stopped coming, after five, so the playlist keeps moving.
    if (this.open && at - this.open.startAt >= (this.sawRandomAccess ? 5 : 1) * target) {
      this.cut(index, 0, null, at);
    } else if (!this.open) {
      this.waitingSince ??= at;
      if (at - this.waitingSince >= 2 * target) this.start(index, 0, null, at);
    }
    let from = 0;
    for (let off = findRandomAccess(chunk, 0); off >= 0; off = findRandomAccess(chunk, off + TS_PACKET_SIZE)) {
      this.sawRandomAccess = true;
      const pts = readPts(chunk, off);
      const open = this.open;
      if (!open) {
        if (this.start(index, off, pts, at)) from = off;
        continue;
      }
      if (this.elapsed(open, pts, at) < target) continue;
      open.bytes += off - from;
      this.cut(index, off, pts, at);
      from = off;
    }
    if (this.open) this.open.bytes += chunk.length - from;
    this.lastIndex = index;
    this.lastLength = chunk.length;
    this.lastAt = at;
  }

  /** What follows is not continuous with what came before: close the open segment where it is. */
  discontinuity(): void {
    const open = this.open;
    if (open && this.lastIndex > 0) this.close(open, this.lastIndex + 1, 0, Math.max(1, this.lastAt - open.startAt));
    this.open = null;
    this.waitingSince = null;
    this.pendingDiscontinuity = true;
  }

  private elapsed(open: OpenSegment, pts: number | null, at: number): number {
    if (pts === null || open.startPts === null) return at - open.startAt;
    const ms = (((pts - open.startPts) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP / 90;
    // A PTS jump inside one session (a broken source): trust the wall clock instead.
    return ms > 10 * this.options.targetMs ? at - open.startAt : ms;
  }

  /** Closes the open segment at (index, offset) and opens the next one there. */
  private cut(index: number, offset: number, pts: number | null, at: number): void {
    const open = this.open!;
    this.close(open, index, offset, this.elapsed(open, pts, at));
    this.open = null;
    this.start(index, offset, pts, at);
  }

  /** Opens a segment at (index, offset); false until PAT and PMT have been seen. */
  private start(index: number, offset: number, pts: number | null, at: number): boolean {
    const header = this.psi.header();
    if (!header) return false;
    this.open = {
      firstChunk: index,
      firstOffset: offset,
      startPts: pts,
      startAt: at,
      header,
      discontinuity: this.pendingDiscontinuity,
      bytes: header.length,
    };
    this.pendingDiscontinuity = false;
    this.waitingSince = null;
    return true;
  }

  private close(open: OpenSegment, endIndex: number, endOffset: number, durationMs: number): void {
    // A cut on a chunk boundary ends the segment with the whole previous chunk.
    const lastChunk = endOffset === 0 ? endIndex - 1 : endIndex;
    const end = endOffset === 0 ? this.lastLength : endOffset;
    if (lastChunk < open.firstChunk || (lastChunk === open.firstChunk && end <= open.firstOffset)) return;
    if (open.discontinuity) this.discontinuitySequence++;
    // Continuous segments follow each other exactly; after a break, the wall clock (never back).
    const startedAt = open.discontinuity || this.lastEndAt === 0 ? Math.max(open.startAt, this.lastEndAt) : this.lastEndAt;
    const record: SegmentRecord = {
      sequence: this.nextSequence++,
      firstChunk: open.firstChunk,
      firstOffset: open.firstOffset,
      lastChunk,
      endOffset: end,
      durationMs: Math.round(durationMs),
      discontinuity: open.discontinuity,
      discontinuitySequence: this.discontinuitySequence,
      startedAt,
      appendedAt: open.startAt,
      bytes: open.bytes,
      header: open.header,
    };
    this.lastEndAt = startedAt + record.durationMs;
    this.options.onSegment(record);
  }
}
