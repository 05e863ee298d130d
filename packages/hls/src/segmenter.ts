// Decides HLS segment boundaries as the owner appends chunks: on video random access points, by PTS.

import { findRandomAccess, PsiTracker, payloadOffset, payloadUnitStart, readPts, TS_PACKET_SIZE } from '@acestream-proxy/ts';
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
/** Chunks whose lengths are remembered: a picture spans a few at most. */
const LENGTHS_KEPT = 64;

/** Whether the picture at (index, offset) lies after the segment's first byte. */
function isAfter(picture: { index: number; offset: number }, open: OpenSegment): boolean {
  return picture.index > open.firstChunk || (picture.index === open.firstChunk && picture.offset > open.firstOffset);
}

/** Offset of the last packet in `chunk` that starts a video PES, or -1. */
function lastVideoPes(chunk: Buffer): number {
  for (let off = chunk.length - TS_PACKET_SIZE; off >= 0; off -= TS_PACKET_SIZE) {
    if (!payloadUnitStart(chunk, off)) continue;
    const p = payloadOffset(chunk, off);
    if (
      p >= 0 &&
      p + 4 <= off + TS_PACKET_SIZE &&
      chunk[p] === 0 &&
      chunk[p + 1] === 0 &&
      chunk[p + 2] === 1 &&
      (chunk[p + 3]! & 0xf0) === 0xe0
    ) {
      return off;
    }
  }
  return -1;
}

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
  /** Where the newest video PES starts: a segment closed at a break ends there, not mid-picture. */
  private lastPicture: { index: number; offset: number; pts: number | null } | null = null;
  private lastIndex = 0;
  /** Lengths of the newest chunks, to take an unfinished picture off a segment at a break. */
  private readonly lengths = new Map<number, number>();
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
    const picture = lastVideoPes(chunk);
    if (picture >= 0) this.lastPicture = { index, offset: picture, pts: readPts(chunk, picture) };
    this.lastIndex = index;
    this.lastLength = chunk.length;
    this.lengths.set(index, chunk.length);
    this.lengths.delete(index - LENGTHS_KEPT);
    this.lastAt = at;
  }

  /**
   * What follows is not continuous with what came before. The open segment is closed before its
   * last picture, which the old engine session may have cut short (a player would show it broken).
   */
  discontinuity(): void {
    const open = this.open;
    const picture = this.lastPicture;
    if (open && picture && isAfter(picture, open)) {
      // Bytes from the picture to the end of the last chunk are not part of the segment.
      open.bytes -= this.bytesFrom(picture.index, picture.offset);
      const elapsed =
        picture.pts !== null && open.startPts !== null
          ? this.elapsed(open, picture.pts, this.lastAt)
          : this.lastAt - open.startAt;
      this.close(open, picture.index, picture.offset, Math.max(1, elapsed));
    } else if (open && !picture && this.lastIndex > 0) {
      this.close(open, this.lastIndex + 1, 0, Math.max(1, this.lastAt - open.startAt));
    }
    this.lastPicture = null;
    this.open = null;
    this.waitingSince = null;
    this.pendingDiscontinuity = true;
  }

  /** Bytes from (index, offset) to the end of the newest chunk; only the newest few are remembered. */
  private bytesFrom(index: number, offset: number): number {
    let bytes = 0;
    for (let n = index; n <= this.lastIndex; n++) bytes += (this.lengths.get(n) ?? 0) - (n === index ? offset : 0);
    return bytes;
  }

  private elapsed(open: OpenSegment, pts: number | null, at: number): number {
    if (pts === null || open.startPts === null) return at - open.startAt;
    const ms = ((((pts - open.startPts) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP) / 90;
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
    const end = endOffset === 0 ? (this.lengths.get(endIndex - 1) ?? this.lastLength) : endOffset;
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
