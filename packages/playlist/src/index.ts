// Public surface of @acestream-proxy/playlist: M3U parsing and rewriting, sources, the refreshed copy.
export {
  BadPlaylistOptionError,
  NoPlaylistSourcesError,
  PlaylistParseError,
  PlaylistUnavailableError,
  RewriteBusyError,
  SourceError,
} from './errors.js';
export {
  type ExtinfInfo,
  GUIDE_ATTRIBUTES,
  groupOf,
  type Playlist,
  type PlaylistEntry,
  parseExtinf,
  parsePlaylist,
} from './m3u.js';
export { RedisPlaylistStore, type RedisPlaylistStoreOptions } from './redis-store.js';
export {
  type Channel,
  listChannels,
  listGroups,
  mergePlaylists,
  onlyGroups,
  type RenderOptions,
  renderPlaylist,
} from './rewrite.js';
export { PlaylistRewriter, type PlaylistRewriterOptions } from './rewriter.js';
export {
  type PlaylistHealth,
  type PlaylistLogger,
  PlaylistService,
  type PlaylistServiceOptions,
  type PlaylistSnapshot,
} from './service.js';
export { DEFAULT_SOURCE_LIMITS, describeSource, isUrlSource, loadSource, type SourceLimits } from './source.js';
export { openSourceStream } from './source-stream.js';
export { MemoryPlaylistStore, type PlaylistMeta, type PlaylistStore, type SourceStatus } from './store.js';
export { type PlaylistFormat, proxyUrl, streamIdOf } from './target.js';
