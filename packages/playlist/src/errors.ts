// Typed playlist errors; the gateway's error mapper turns each into its HTTP status.

/** A body that is not an M3U playlist (HTML page, binary data, nothing in it). */
export class PlaylistParseError extends Error {
  readonly code = 'bad_playlist';
  constructor(message: string) {
    super(message);
    this.name = 'PlaylistParseError';
  }
}

/** A configured source that could not be loaded; the message names the source and the cause. */
export class SourceError extends Error {
  readonly code = 'playlist_source_failed';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'SourceError';
  }
}

/** No copy of the playlist exists yet: every source failed since the proxy first started. */
export class PlaylistUnavailableError extends Error {
  readonly code = 'playlist_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'PlaylistUnavailableError';
  }
}

/** PLAYLIST_SOURCES is not set, so there is nothing to serve. */
export class NoPlaylistSourcesError extends Error {
  readonly code = 'no_playlist_sources';
  constructor() {
    super('no playlist is configured: set PLAYLIST_SOURCES to http(s) URLs or files of M3U playlists');
    this.name = 'NoPlaylistSourcesError';
  }
}

/** A query option of a playlist route that is not allowed (e.g. `?format=mp4`). */
export class BadPlaylistOptionError extends Error {
  readonly code = 'bad_playlist_option';
  constructor(message: string) {
    super(message);
    this.name = 'BadPlaylistOptionError';
  }
}

/** Rewrites are queued on one thread per process; this many already wait. */
export class RewriteBusyError extends Error {
  readonly code = 'rewrite_busy';
  constructor(queued: number) {
    super(`${queued} playlist rewrites are already waiting on this worker; try again shortly`);
    this.name = 'RewriteBusyError';
  }
}
