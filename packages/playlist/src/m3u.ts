// M3U (extended) parsing: lines kept as found, grouped into entries, with the AceStream id of each.

import type { StreamId } from '@acestream-proxy/keys';
import { PlaylistParseError } from './errors.js';
import { streamIdOf } from './target.js';

/** One channel: its #EXTINF line, the directives that go with it, and its target line. */
export interface PlaylistEntry {
  /** The `#EXTINF:` line as found (no line ending), or null when the list has none for it. */
  extinf: string | null;
  /** Other `#` lines between the previous entry and this target (#EXTVLCOPT, #KODIPROP, #EXTGRP…). */
  directives: string[];
  /** The target line as found (an URL, an `acestream://` link, a bare id, a path…). */
  target: string;
  /** The AceStream id the target names, or null for anything else (left untouched). */
  id: StreamId | null;
}

export interface Playlist {
  /** Attributes of the `#EXTM3U` line(s) in order (`url-tvg`, `x-tvg-url`, `tvg-shift`…). */
  header: Array<[string, string]>;
  entries: PlaylistEntry[];
}

/** What an `#EXTINF` line says: duration, attributes (`tvg-id`, `group-title`…) and title. */
export interface ExtinfInfo {
  duration: number;
  attributes: Record<string, string>;
  title: string;
}

const HEADER = /^#EXTM3U\b/i;
const EXTINF = /^#EXTINF:/i;

/**
 * Parses an M3U playlist. Tolerates what real lists contain: a UTF-8 BOM, CRLF or CR line ends,
 * blank lines, a missing `#EXTM3U`, several `#EXTM3U` lines (concatenated lists). Throws
 * PlaylistParseError for input that is no playlist at all (empty, HTML, binary).
 */
export function parsePlaylist(text: string): Playlist {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  refuseNonPlaylist(body);
  const header: Array<[string, string]> = [];
  const entries: PlaylistEntry[] = [];
  let extinf: string | null = null;
  let directives: string[] = [];
  for (const raw of body.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (HEADER.test(line)) {
      mergeAttributes(header, parseAttributes(line.slice(7)).attributes);
    } else if (EXTINF.test(line)) {
      // A second #EXTINF before any target replaces the first (its entry had no target).
      extinf = line;
    } else if (line.startsWith('#')) {
      directives.push(line);
    } else {
      entries.push({ extinf, directives, target: line, id: streamIdOf(line) });
      extinf = null;
      directives = [];
    }
  }
  if (entries.length === 0) throw new PlaylistParseError('no entries found: an M3U playlist lists one target per line');
  return { header, entries };
}

function refuseNonPlaylist(body: string): void {
  if (body.trim() === '') throw new PlaylistParseError('the playlist is empty');
  if (body.includes('\u0000')) throw new PlaylistParseError('binary data, not an M3U playlist');
  if (/^\s*<(!doctype|html|\?xml)/i.test(body)) {
    throw new PlaylistParseError('an HTML or XML page, not an M3U playlist');
  }
}

/** Reads an `#EXTINF:` line; a malformed one still yields its title (text after the first comma). */
export function parseExtinf(line: string): ExtinfInfo {
  const rest = line.replace(EXTINF, '');
  const duration = /^\s*(-?\d+(?:\.\d+)?)/.exec(rest);
  const parsed = parseAttributes(rest.slice(duration ? duration[0].length : 0));
  return { duration: duration ? Number(duration[1]) : -1, attributes: parsed.attributes, title: parsed.title };
}

/**
 * Reads `key="value" key=value ...` up to the first comma outside quotes; the rest is the title.
 * Values may hold commas and spaces when quoted (`group-title="News, Sport"`).
 */
function parseAttributes(text: string): { attributes: Record<string, string>; title: string } {
  const attributes: Record<string, string> = {};
  const attribute = /^\s*([A-Za-z0-9_.:-]+)=(?:"([^"]*)"?|([^\s,"]*))/;
  let rest = text;
  for (;;) {
    const match = attribute.exec(rest);
    if (!match) break;
    attributes[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? '';
    rest = rest.slice(match[0].length);
  }
  const comma = rest.indexOf(',');
  return { attributes, title: comma < 0 ? '' : rest.slice(comma + 1).trim() };
}

/**
 * Header attributes naming guide (XMLTV) URLs, each a comma-separated list; players differ in
 * which one they read. The one list: merged here, read by the guide, replaced by the gateway.
 */
export const GUIDE_ATTRIBUTES: readonly string[] = ['url-tvg', 'x-tvg-url', 'tvg-url'];

/** Header attributes of several lists: EPG URLs of all of them, else the first list's value. */
export function mergeAttributes(into: Array<[string, string]>, attributes: Record<string, string>): void {
  for (const [name, value] of Object.entries(attributes)) {
    const existing = into.find(([n]) => n === name);
    if (!existing) {
      into.push([name, value]);
      continue;
    }
    if (!GUIDE_ATTRIBUTES.includes(name)) continue;
    const values = existing[1].split(',').map((v) => v.trim());
    for (const v of value.split(',').map((x) => x.trim())) if (v && !values.includes(v)) values.push(v);
    existing[1] = values.filter(Boolean).join(',');
  }
}

/** The group of an entry: its `group-title`, else its `#EXTGRP:` directive. */
export function groupOf(entry: PlaylistEntry, info: ExtinfInfo | null): string | null {
  const title = info?.attributes['group-title'];
  if (title) return title;
  const extgrp = entry.directives.find((d) => /^#EXTGRP:/i.test(d));
  return extgrp ? extgrp.slice(8).trim() || null : null;
}
