// Typed guide errors; the gateway's error mapper turns each into its HTTP status.

/** No guide has been stored yet: the first refresh has not finished (or every source failed before it). */
export class GuideUnavailableError extends Error {
  readonly code = 'guide_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'GuideUnavailableError';
  }
}

/** No guide source is configured: neither EPG_SOURCES nor a playlist naming a guide (with EPG_FROM_PLAYLISTS). */
export class NoGuideSourcesError extends Error {
  readonly code = 'no_guide_sources';
  constructor() {
    super(
      'no guide is configured: set EPG_SOURCES, or use playlists whose header names a guide (url-tvg) with EPG_FROM_PLAYLISTS=true',
    );
    this.name = 'NoGuideSourcesError';
  }
}
