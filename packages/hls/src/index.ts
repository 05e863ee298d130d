// Public surface of @acestream-proxy/hls: segments cut on pictures, their records, playlists, cache,
// and player sessions (registered as players, signed ids).
export { BadHlsRequestError, SegmentNotFoundError } from './errors.js';
export { MemorySegmentStore } from './memory-segment-store.js';
export { type MediaPlaylistOptions, renderMasterPlaylist, renderMediaPlaylist } from './playlist.js';
export { SegmentRecorder, type SegmentRecorderOptions } from './recorder.js';
export { RedisSegmentStore, type RedisSegmentStoreOptions } from './redis-segment-store.js';
export { decodeSegment, encodeSegment, type SegmentRecord } from './segment.js';
export { type SegmentBytes, SegmentCache, type SegmentCacheOptions } from './segment-cache.js';
export type { SegmentStore } from './segment-store.js';
export { Segmenter, type SegmenterOptions } from './segmenter.js';
export { HlsSessionIds } from './session-ids.js';
export { type SecretLogger, type SecretStore, type SessionSecret, sessionSecret } from './session-secret.js';
export {
  HlsSessions,
  type HlsSessionsOptions,
  type SessionLogger,
  type SessionRequest,
  type SessionSlots,
  type SessionStreams,
} from './sessions.js';
export { checkMediaPlaylist, checkReload, type ParsedPlaylist, type ParsedSegment, parseMediaPlaylist } from './validate.js';
