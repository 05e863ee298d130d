// Public surface of @acestream-proxy/hls: segments cut on pictures, their records, playlists, cache.
export { BadHlsRequestError, SegmentNotFoundError } from './errors.js';
export { MemorySegmentStore } from './memory-segment-store.js';
export { type MediaPlaylistOptions, renderMasterPlaylist, renderMediaPlaylist } from './playlist.js';
export { SegmentRecorder, type SegmentRecorderOptions } from './recorder.js';
export { RedisSegmentStore, type RedisSegmentStoreOptions } from './redis-segment-store.js';
export { decodeSegment, encodeSegment, type SegmentRecord } from './segment.js';
export { type SegmentBytes, SegmentCache, type SegmentCacheOptions } from './segment-cache.js';
export type { SegmentStore } from './segment-store.js';
export { Segmenter, type SegmenterOptions } from './segmenter.js';
export { checkMediaPlaylist, checkReload, type ParsedPlaylist, type ParsedSegment, parseMediaPlaylist } from './validate.js';
