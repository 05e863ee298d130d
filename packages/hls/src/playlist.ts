// Renders the live HLS playlists (RFC 8216) from segment records.

import type { SegmentRecord } from './segment.js';

export interface MediaPlaylistOptions {
  /** The configured target duration (PROXY_HLS_TARGET_DURATION), seconds. */
  targetSeconds: number;
  /** URL of segment `sequence`, relative to the playlist. */
  segmentUrl: (sequence: number) => string;
}

/**
 * A live media playlist of `segments` (oldest first, consecutive). EXT-X-TARGETDURATION is never
 * below any listed segment's rounded duration; the discontinuity sequence counts the tags of
 * segments that have slid out of the window.
 */
export function renderMediaPlaylist(segments: readonly SegmentRecord[], options: MediaPlaylistOptions): string {
  const first = segments[0];
  let target = Math.ceil(options.targetSeconds);
  for (const s of segments) target = Math.max(target, Math.round(s.durationMs / 1000));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${first?.sequence ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${first ? first.discontinuitySequence - (first.discontinuity ? 1 : 0) : 0}`,
  ];
  for (const s of segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.startedAt).toISOString()}`);
    lines.push(`#EXTINF:${(s.durationMs / 1000).toFixed(3)},`);
    lines.push(options.segmentUrl(s.sequence));
  }
  return `${lines.join('\n')}\n`;
}

/** A one-variant multivariant playlist pointing at a player session's media playlist. */
export function renderMasterPlaylist(segments: readonly SegmentRecord[], mediaUrl: string): string {
  // BANDWIDTH is the peak rate of the listed segments (required by the spec; players pick by it).
  let peak = 0;
  for (const s of segments) if (s.durationMs > 0) peak = Math.max(peak, (s.bytes * 8 * 1000) / s.durationMs);
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=${Math.max(1, Math.round(peak))}\n${mediaUrl}\n`;
}
