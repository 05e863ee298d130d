// The XMLTV guide of one worker (issue 22): GuideService over the playlist copy in use, numbered by the tuner.

import type { ProxyConfig } from '@acestream-proxy/config';
import { type GuidePlaylist, GuideService, type GuideStore } from '@acestream-proxy/epg';
import {
  DEFAULT_SOURCE_LIMITS,
  GUIDE_ATTRIBUTES,
  type Playlist,
  type PlaylistEntry,
  type PlaylistService,
  parseExtinf,
} from '@acestream-proxy/playlist';
import type { Logger } from '@acestream-proxy/stream';
import type { TunerService } from '@acestream-proxy/tuner';

/**
 * Started in every worker: each checks whether a refresh is due, and the one that takes the
 * store's lock reads the sources (the others serve what it stores).
 */
export function createGuide(
  config: ProxyConfig,
  store: GuideStore,
  playlist: PlaylistService,
  tuner: TunerService,
  logger: Logger,
): GuideService {
  const guide = new GuideService({
    sources: config.epgSources ?? [],
    fromPlaylists: config.epgFromPlaylists,
    playlist: () => currentPlaylist(playlist),
    // The tuner's numbers, so a guide channel without a tvg-id is `ace.<GuideNumber>`, and Plex
    // and Jellyfin find each lineup entry's number among its display names.
    guideNumbers: async ({ playlist: current, version }) =>
      new Map((await tuner.lineup(current, version)).map((c) => [c.id, c.guideNumber])),
    refreshIntervalMs: config.epgRefreshHours * 3_600_000,
    store,
    logger,
    limits: {
      ...DEFAULT_SOURCE_LIMITS,
      timeoutMs: config.epgTimeout * 1000,
      maxBytes: config.epgMaxBytes,
      maxXmlBytes: config.epgMaxBytes,
      maxBytesKnob: 'EPG_MAX_BYTES',
    },
  });
  // Without playlists there are no channels to filter a guide to.
  if (playlist.configured) guide.start();
  return guide;
}

/** The playlist copy in use, versioned by its refresh time (as the tuner numbers it); null before the first load. */
export async function currentPlaylist(playlist: PlaylistService): Promise<GuidePlaylist | null> {
  if (!playlist.configured) return null;
  try {
    const { playlist: current, meta } = await playlist.snapshot();
    return { playlist: current, version: meta.refreshedAt };
  } catch {
    return null;
  }
}

/** Entries with their guide ids, by the playlist copy they were made from. */
const guidedEntries = new WeakMap<Playlist, PlaylistEntry[]>();

/**
 * The playlist as players get it when a guide is configured: its header names the proxy's guide
 * (`url-tvg` and `x-tvg-url`, other attributes kept), and each AceStream channel without a
 * `tvg-id` gets the id it has in that guide (`ace.<GuideNumber>`), so players that match by id
 * (Kodi, Jellyfin's M3U tuner) find its programmes too.
 */
export async function guidedPlaylist(current: GuidePlaylist, tuner: TunerService, guideUrl: string): Promise<Playlist> {
  const { playlist, version } = current;
  let entries = guidedEntries.get(playlist);
  if (!entries) {
    const numbers = new Map((await tuner.lineup(playlist, version)).map((c) => [c.id as string, c.guideNumber]));
    entries = playlist.entries.map((entry) => {
      const number = entry.id ? numbers.get(entry.id) : undefined;
      if (!number) return entry;
      const id = `tvg-id="ace.${number}"`;
      if (!entry.extinf) return { ...entry, extinf: `#EXTINF:-1 ${id},${entry.id}` };
      if (parseExtinf(entry.extinf).attributes['tvg-id']) return entry;
      const extinf = entry.extinf.replace(/^(#EXTINF:\s*-?\d+(?:\.\d+)?)/i, `$1 ${id}`);
      return { ...entry, extinf };
    });
    guidedEntries.set(playlist, entries);
  }
  const header = playlist.header.filter(([name]) => !GUIDE_ATTRIBUTES.includes(name.toLowerCase()));
  return { header: [['url-tvg', guideUrl], ['x-tvg-url', guideUrl], ...header], entries };
}
