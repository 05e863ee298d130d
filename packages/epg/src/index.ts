// Public surface of @acestream-proxy/epg: XMLTV guides merged and filtered to the playlist, as streams, kept fresh and served.
export { fingerprintOf, guideChannels, playlistGuideUrls } from './channels.js';
export { GuideUnavailableError, NoGuideSourcesError } from './errors.js';
export { escapeXml, type FilterResult, type FilterSinks, filterGuide } from './filter.js';
export { ChannelMatcher, type GuideChannel, guideIdOf, type Match } from './matcher.js';
export { createPart, PART_CHUNK_BYTES, type PartSink, readPart } from './parts.js';
export { RedisGuideStore, type RedisGuideStoreOptions, UNPUBLISHED_PART_TTL_MS } from './redis-store.js';
export { type RefreshPlan, refreshGuide } from './refresh.js';
export { type NowOn, nowOn, SCHEDULE_WINDOW_MS, ScheduleCollector, xmltvTime } from './schedule.js';
export { type GuideHealth, type GuidePlaylist, GuideService, type GuideServiceOptions, type StoredGuide } from './service.js';
export { type GuideSourceLimits, type OpenedGuide, openGuideSource } from './source.js';
export {
  type GuideMeta,
  type GuideSourceStatus,
  type GuideStore,
  MemoryGuideStore,
  type PartRef,
  type SourceCopy,
} from './store.js';
