// Merging playlists and writing them back out with every AceStream entry pointing at the proxy.

import { type ExtinfInfo, groupOf, mergeAttributes, type Playlist, type PlaylistEntry, parseExtinf } from './m3u.js';
import { type PlaylistFormat, proxyUrl } from './target.js';

/**
 * One playlist from several, in order: header attributes merged (EPG URLs of all), and each
 * AceStream id listed once, where it first appears. Other entries are all kept.
 */
export function mergePlaylists(playlists: readonly Playlist[]): Playlist {
  const header: Array<[string, string]> = [];
  const entries: PlaylistEntry[] = [];
  const seen = new Set<string>();
  for (const playlist of playlists) {
    mergeAttributes(header, Object.fromEntries(playlist.header));
    for (const entry of playlist.entries) {
      if (entry.id) {
        if (seen.has(entry.id)) continue;
        seen.add(entry.id);
      }
      entries.push(entry);
    }
  }
  return { header, entries };
}

export interface RenderOptions {
  /** Scheme, host and any path prefix of the proxy as players reach it, without trailing slash. */
  baseUrl: string;
  format: PlaylistFormat;
  /** Only entries of these groups (compared without regard to case); all when empty or absent. */
  groups?: readonly string[];
}

/** Channel list entry for `/playlist.json`. */
export interface Channel {
  /** AceStream id, or null for an entry the proxy passes through untouched. */
  id: string | null;
  name: string;
  group: string | null;
  logo: string | null;
  tvg_id: string | null;
  /** Where a player gets it: the proxy URL for AceStream entries, the original target otherwise. */
  url: string;
}

/** The playlist as M3U text (LF line ends), AceStream targets replaced by proxy URLs. */
export function renderPlaylist(playlist: Playlist, options: RenderOptions): string {
  const lines = [headerLine(playlist.header)];
  for (const entry of select(playlist, options.groups)) {
    // Without a #EXTINF an IPTV manager shows the raw URL; give AceStream entries their id as name.
    if (entry.extinf) lines.push(entry.extinf);
    else if (entry.id) lines.push(`#EXTINF:-1,${entry.id}`);
    lines.push(...entry.directives);
    lines.push(entry.id ? proxyUrl(options.baseUrl, entry.id, options.format) : entry.target);
  }
  return `${lines.join('\n')}\n`;
}

/** The channels (name, group, logo, URL) of the playlist, for status pages and scripts. */
export function listChannels(playlist: Playlist, options: RenderOptions): Channel[] {
  return select(playlist, options.groups).map((entry) => {
    const info = infoOf(entry);
    const attributes = info?.attributes ?? {};
    return {
      id: entry.id,
      name: info?.title || attributes['tvg-name'] || entry.id || entry.target,
      group: groupOf(entry, info),
      logo: attributes['tvg-logo'] || null,
      tvg_id: attributes['tvg-id'] || null,
      url: entry.id ? proxyUrl(options.baseUrl, entry.id, options.format) : entry.target,
    };
  });
}

/** Distinct groups in order of first appearance. */
export function listGroups(playlist: Playlist): string[] {
  const groups = new Set<string>();
  for (const entry of playlist.entries) {
    const group = groupOf(entry, infoOf(entry));
    if (group) groups.add(group);
  }
  return [...groups];
}

/**
 * The playlist with only the entries of `groups` (none when `groups` is empty): a user limited to
 * some groups sees only those, whatever groups its request asks for.
 */
export function onlyGroups(playlist: Playlist, groups: readonly string[]): Playlist {
  return { ...playlist, entries: groups.length === 0 ? [] : select(playlist, groups) };
}

function select(playlist: Playlist, groups: readonly string[] | undefined): PlaylistEntry[] {
  if (!groups || groups.length === 0) return playlist.entries;
  const wanted = new Set(groups.map((g) => g.trim().toLocaleLowerCase()));
  return playlist.entries.filter((entry) => {
    const group = groupOf(entry, infoOf(entry));
    // Kodi lets one entry sit in several groups: `group-title="News;Sport"`.
    return group?.split(';').some((g) => wanted.has(g.trim().toLocaleLowerCase())) ?? false;
  });
}

/**
 * Each entry's #EXTINF read once: a worker serves the same copy (same objects) until the next
 * refresh, so group filters and /playlist.json do not re-parse thousands of lines per request.
 */
const parsed = new WeakMap<PlaylistEntry, ExtinfInfo | null>();
function infoOf(entry: PlaylistEntry): ExtinfInfo | null {
  let info = parsed.get(entry);
  if (info === undefined) {
    info = entry.extinf ? parseExtinf(entry.extinf) : null;
    parsed.set(entry, info);
  }
  return info;
}

function headerLine(header: Array<[string, string]>): string {
  return ['#EXTM3U', ...header.map(([name, value]) => `${name}="${value.replace(/"/g, '')}"`)].join(' ');
}
