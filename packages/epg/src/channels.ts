// What the guide is filtered to and read from, taken from the playlist copy in use.

import { createHash } from 'node:crypto';
import { GUIDE_ATTRIBUTES, isUrlSource, listChannels, type Playlist } from '@acestream-proxy/playlist';
import type { GuideChannel } from './matcher.js';

/**
 * The playlist's channels with their tvg-id, name and GuideNumber (`numbers`: stream id →
 * GuideNumber, the tuner's). Entries that are not AceStream channels keep their tvg-id and have
 * no GuideNumber.
 */
export function guideChannels(playlist: Playlist, numbers: ReadonlyMap<string, string>): GuideChannel[] {
  return listChannels(playlist, { baseUrl: '', format: 'ts' }).map((channel) => ({
    tvgId: channel.tvg_id,
    name: channel.name,
    guideNumber: channel.id ? (numbers.get(channel.id) ?? null) : null,
  }));
}

/**
 * The guides the playlist names in its header. Only http(s) URLs: a playlist is fetched text,
 * and must never make the proxy read a file of its own host.
 */
export function playlistGuideUrls(playlist: Playlist): string[] {
  return playlist.header
    .filter(([name]) => GUIDE_ATTRIBUTES.includes(name.toLowerCase()))
    .flatMap(([, value]) => value.split(','))
    .map((url) => url.trim())
    .filter((url) => isUrlSource(url));
}

/** Changes when the channels (ids, names, numbers) change: the guide must then be filtered again. */
export function fingerprintOf(channels: readonly GuideChannel[]): string {
  return createHash('sha256').update(JSON.stringify(channels)).digest('base64url');
}
