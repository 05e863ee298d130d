// Public surface of @acestream-proxy/epg: XMLTV guides merged and filtered to the playlist, as streams.
export { escapeXml, type FilterResult, type FilterSinks, filterGuide } from './filter.js';
export { ChannelMatcher, type GuideChannel, type Match } from './matcher.js';
export { mergeGuides, type OpenSource, type SourceOutcome } from './merge.js';
