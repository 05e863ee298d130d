// mediastreamvalidator-style checks of a live media playlist, for tests and operators' scripts.

export interface ParsedSegment {
  uri: string;
  durationSeconds: number;
  discontinuity: boolean;
  programDateTime: number | null;
}

export interface ParsedPlaylist {
  version: number | null;
  targetDuration: number | null;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: ParsedSegment[];
}

export function parseMediaPlaylist(text: string): ParsedPlaylist {
  const lines = text.split('\n').map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('a playlist starts with #EXTM3U');
  const out: ParsedPlaylist = { version: null, targetDuration: null, mediaSequence: 0, discontinuitySequence: 0, segments: [] };
  let next: Partial<ParsedSegment> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const [tag, value = ''] = line.split(/:(.*)/s);
    if (tag === '#EXT-X-VERSION') out.version = Number(value);
    else if (tag === '#EXT-X-TARGETDURATION') out.targetDuration = Number(value);
    else if (tag === '#EXT-X-MEDIA-SEQUENCE') out.mediaSequence = Number(value);
    else if (tag === '#EXT-X-DISCONTINUITY-SEQUENCE') out.discontinuitySequence = Number(value);
    else if (tag === '#EXT-X-DISCONTINUITY') next.discontinuity = true;
    else if (tag === '#EXT-X-PROGRAM-DATE-TIME') next.programDateTime = Date.parse(value);
    else if (tag === '#EXTINF') next.durationSeconds = Number(value.split(',')[0]);
    else if (!line.startsWith('#')) {
      out.segments.push({
        uri: line,
        durationSeconds: next.durationSeconds ?? Number.NaN,
        discontinuity: next.discontinuity ?? false,
        programDateTime: next.programDateTime ?? null,
      });
      next = {};
    }
  }
  return out;
}

/**
 * What is wrong with a live media playlist (empty when nothing): RFC 8216 §4.3.3.1 target
 * duration, EXTINF present, program date-times increasing by the segments' durations
 * (`pdtToleranceMs` allowed after a discontinuity or drift).
 */
export function checkMediaPlaylist(playlist: ParsedPlaylist, pdtToleranceMs = 50): string[] {
  const problems: string[] = [];
  if (playlist.version === null) problems.push('no #EXT-X-VERSION');
  if (playlist.targetDuration === null) problems.push('no #EXT-X-TARGETDURATION');
  if (playlist.segments.length === 0) problems.push('no segment');
  let previous: ParsedSegment | null = null;
  for (const [i, s] of playlist.segments.entries()) {
    const name = `segment ${playlist.mediaSequence + i}`;
    if (!Number.isFinite(s.durationSeconds) || s.durationSeconds <= 0) problems.push(`${name}: bad EXTINF`);
    if (playlist.targetDuration !== null && Math.round(s.durationSeconds) > playlist.targetDuration) {
      problems.push(`${name}: ${s.durationSeconds} s rounds above the target duration ${playlist.targetDuration}`);
    }
    if (s.programDateTime === null) problems.push(`${name}: no #EXT-X-PROGRAM-DATE-TIME`);
    else if (previous?.programDateTime != null) {
      const expected = previous.programDateTime + previous.durationSeconds * 1000;
      if (s.programDateTime < previous.programDateTime) problems.push(`${name}: program date-time goes back`);
      else if (!s.discontinuity && Math.abs(s.programDateTime - expected) > pdtToleranceMs) {
        problems.push(`${name}: program date-time ${s.programDateTime - expected} ms off the previous segment's end`);
      }
    }
    previous = s;
  }
  return problems;
}

/**
 * What is wrong between two successive reloads of one live playlist: media sequence numbers
 * must not go back, and a segment listed in both must keep its URI and duration.
 */
export function checkReload(before: ParsedPlaylist, after: ParsedPlaylist): string[] {
  const problems: string[] = [];
  if (after.mediaSequence < before.mediaSequence) problems.push('media sequence went back');
  if (after.discontinuitySequence < before.discontinuitySequence) problems.push('discontinuity sequence went back');
  for (const [i, s] of before.segments.entries()) {
    const j = before.mediaSequence + i - after.mediaSequence;
    const same = after.segments[j];
    if (j < 0 || !same) continue;
    if (same.uri !== s.uri || same.durationSeconds !== s.durationSeconds) {
      problems.push(`segment ${before.mediaSequence + i} changed between reloads`);
    }
  }
  return problems;
}
