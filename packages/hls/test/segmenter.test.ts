// Segments cut on pictures by PTS, their byte ranges, and the playlist a validator would accept.

import { SyntheticSource } from '@acestream-proxy/engine-sim';
import {
  checkMediaPlaylist,
  checkReload,
  parseMediaPlaylist,
  renderMediaPlaylist,
  Segmenter,
  type SegmentRecord,
} from '@acestream-proxy/hls';
import { findRandomAccess, readPts } from '@acestream-proxy/ts';
import { describe, expect, it } from '@jest/globals';

const FRAME_MS = 40;

/** `seconds` of a 25 fps synthetic channel as chunks of `framesPerChunk` frames, each with its wall clock. */
function channel(seconds: number, { gop = 1, framesPerChunk = 3, start = 1_700_000_000_000 } = {}) {
  const source = new SyntheticSource({ bitrate: 1_000_000, gopSeconds: gop, overheadByteRate: 0 });
  const chunks: Array<{ index: number; bytes: Buffer; at: number }> = [];
  const frames = seconds * 25;
  for (let f = 0; f < frames; f += framesPerChunk) {
    const n = Math.min(framesPerChunk, frames - f);
    const bytes = Buffer.concat(Array.from({ length: n }, () => source.nextFrame()));
    chunks.push({ index: chunks.length + 1, bytes, at: start + (f + n) * FRAME_MS });
  }
  return chunks;
}

function record(chunks: ReturnType<typeof channel>, targetMs = 2000, previous: SegmentRecord | null = null) {
  const segments: SegmentRecord[] = [];
  const segmenter = new Segmenter({ targetMs, previous, onSegment: (s) => segments.push(s) });
  for (const c of chunks) segmenter.push(c.index, c.bytes, c.at);
  return { segments, segmenter };
}

/** A segment's bytes as a worker serves them: header, then the chunk range sliced at the offsets. */
function bytesOf(segment: SegmentRecord, chunks: ReturnType<typeof channel>): Buffer {
  const parts = [segment.header];
  for (let n = segment.firstChunk; n <= segment.lastChunk; n++) {
    const chunk = chunks[n - 1]!.bytes;
    parts.push(
      chunk.subarray(
        n === segment.firstChunk ? segment.firstOffset : 0,
        n === segment.lastChunk ? segment.endOffset : chunk.length,
      ),
    );
  }
  return Buffer.concat(parts);
}

/** The same channel with every video PES relabelled as audio: no random access point to find. */
function withoutPictures(chunks: ReturnType<typeof channel>) {
  return chunks.map((c) => {
    const bytes = Buffer.from(c.bytes);
    for (let off = 0; off + 188 <= bytes.length; off += 188) {
      const p = bytes[off + 3]! & 0x20 ? off + 5 + bytes[off + 4]! : off + 4;
      if (bytes[p] === 0 && bytes[p + 1] === 0 && bytes[p + 2] === 1 && bytes[p + 3] === 0xe0) bytes[p + 3] = 0xc0;
    }
    return { ...c, bytes };
  });
}

describe('the segmenter', () => {
  it('starts every segment on a picture, a target duration apart by PTS', () => {
    const chunks = channel(21);
    const { segments } = record(chunks);
    expect(segments.length).toBe(10);
    for (const [i, s] of segments.entries()) {
      expect(s.sequence).toBe(i + 1);
      expect(s.durationMs).toBe(2000);
      const bytes = bytesOf(s, chunks);
      expect(bytes.length).toBe(s.bytes);
      // PAT+PMT, then at once the keyframe.
      expect(bytes.readUInt8(0)).toBe(0x47);
      expect(findRandomAccess(bytes, s.header.length)).toBe(s.header.length);
      expect(findRandomAccess(bytes)).toBe(s.header.length);
      // Back to back: each segment ends where the next begins.
      const next = segments[i + 1];
      if (next) {
        const end =
          s.endOffset === chunks[s.lastChunk - 1]!.bytes.length
            ? { c: s.lastChunk + 1, o: 0 }
            : { c: s.lastChunk, o: s.endOffset };
        expect(next.firstOffset === 0 ? { c: next.firstChunk, o: 0 } : { c: next.firstChunk, o: next.firstOffset }).toEqual(end);
        expect(readPts(bytesOf(next, chunks), next.header.length)! - readPts(bytes, s.header.length)!).toBe(180_000);
      }
    }
  });

  it('holds segments of a long GOP until the next picture rather than cutting mid-GOP', () => {
    const { segments } = record(channel(20, { gop: 3 }));
    expect(segments.map((s) => s.durationMs)).toEqual(Array(segments.length).fill(3000));
  });

  it('falls back to cuts on chunk boundaries by wall clock when the stream marks no picture', () => {
    const chunks = withoutPictures(channel(20));
    const { segments } = record(chunks);
    expect(segments.length).toBeGreaterThanOrEqual(7);
    for (const s of segments) {
      expect(s.firstOffset).toBe(0);
      expect(Math.abs(s.durationMs - 2000)).toBeLessThanOrEqual(3 * FRAME_MS);
      expect(bytesOf(s, chunks).length).toBe(s.bytes);
    }
  });

  it('marks the first segment after a break, closes the one before it, and never moves PDT back', () => {
    const first = channel(7);
    const { segments, segmenter } = record(first);
    segmenter.discontinuity();
    // A new engine session: timestamps start again, the wall clock goes on.
    const second = channel(7, { start: first.at(-1)!.at + 500 }).map((c) => ({ ...c, index: c.index + first.length }));
    for (const c of second) segmenter.push(c.index, c.bytes, c.at);
    const after = segments.find((s) => s.firstChunk > first.length)!;
    const closed = segments[segments.indexOf(after) - 1]!;
    // The segment cut short by the break ends before the old session's last (maybe unfinished) picture.
    expect(closed.lastChunk).toBeGreaterThanOrEqual(first.length - 1);
    expect(closed.durationMs).toBeGreaterThan(0);
    expect(bytesOf(closed, [...first, ...second]).length).toBe(closed.bytes);
    const all = [...first, ...second];
    const tail = all[closed.lastChunk - 1]!.bytes;
    const endsAt =
      closed.endOffset === tail.length ? { chunk: all[closed.lastChunk]!.bytes, off: 0 } : { chunk: tail, off: closed.endOffset };
    expect(endsAt.chunk.readUInt8(endsAt.off + 1) & 0x40).toBe(0x40);
    expect(after.discontinuity).toBe(true);
    expect(after.discontinuitySequence).toBe(1);
    expect(segments.filter((s) => s.discontinuity)).toEqual([after]);
    for (let i = 1; i < segments.length; i++) {
      expect(segments[i]!.sequence).toBe(segments[i - 1]!.sequence + 1);
      expect(segments[i]!.startedAt).toBeGreaterThanOrEqual(segments[i - 1]!.startedAt + segments[i - 1]!.durationMs);
    }
  });

  it('continues the numbering an earlier owner left, as a discontinuity', () => {
    const { segments: before } = record(channel(9));
    const { segments: after } = record(channel(9, { start: 1_700_000_100_000 }), 2000, before.at(-1)!);
    expect(after[0]!.sequence).toBe(before.at(-1)!.sequence + 1);
    expect(after[0]!.discontinuity).toBe(true);
    expect(after[1]!.discontinuity).toBe(false);
  });
});

describe('the live playlist', () => {
  const url = (n: number) => `${n}.ts`;

  it('passes the validator checks: target duration, sequence, PDT, discontinuity sequence', () => {
    const first = channel(15);
    const { segments, segmenter } = record(first, 2000);
    segmenter.discontinuity();
    for (const c of channel(18, { gop: 3, start: first.at(-1)!.at + 300 })) segmenter.push(c.index + first.length, c.bytes, c.at);
    const windows = [];
    for (let end = 4; end <= segments.length; end++) {
      const text = renderMediaPlaylist(segments.slice(end - 4, end), { targetSeconds: 2, segmentUrl: url });
      windows.push(parseMediaPlaylist(text));
    }
    for (const [i, playlist] of windows.entries()) {
      expect(checkMediaPlaylist(playlist)).toEqual([]);
      if (i > 0) expect(checkReload(windows[i - 1]!, playlist)).toEqual([]);
    }
    // The 3 s segments after the switch raise the target duration; the tag is counted once it slid out.
    expect(windows.at(-1)!.targetDuration).toBe(3);
    expect(windows.at(-1)!.discontinuitySequence).toBe(1);
    expect(windows[0]!.targetDuration).toBe(2);
  });

  it('the checks catch what a broken playlist gets wrong', () => {
    const { segments } = record(channel(11));
    const broken = segments.map((s, i) => (i === 2 ? { ...s, durationMs: 3600, startedAt: s.startedAt - 5000 } : s));
    const text = renderMediaPlaylist(broken, { targetSeconds: 2, segmentUrl: url }).replace(
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-TARGETDURATION:2',
    );
    const problems = checkMediaPlaylist(parseMediaPlaylist(text));
    expect(problems.join('\n')).toMatch(/rounds above the target duration/);
    expect(problems.join('\n')).toMatch(/program date-time goes back/);
    const a = parseMediaPlaylist(renderMediaPlaylist(segments.slice(2, 5), { targetSeconds: 2, segmentUrl: url }));
    const b = parseMediaPlaylist(renderMediaPlaylist(segments.slice(1, 4), { targetSeconds: 2, segmentUrl: url }));
    expect(checkReload(a, b)).toContain('media sequence went back');
  });
});
