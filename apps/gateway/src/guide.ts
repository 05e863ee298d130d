// The XMLTV guide of one worker (issue 22): GuideService over the playlist copy in use, numbered by the tuner.

import type { ProxyConfig } from '@acestream-proxy/config';
import { type GuidePlaylist, GuideService, type GuideStore } from '@acestream-proxy/epg';
import { DEFAULT_SOURCE_LIMITS, type PlaylistService } from '@acestream-proxy/playlist';
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
