// Public surface of @acestream-proxy/engine: the AceStream engine client, selection and load.
export { EngineClient, type EngineClientOptions, type EngineSession, type EngineStat } from './client.js';
export { type EngineAddress, EngineError, type EngineErrorCode, toEngineError } from './errors.js';
export { EngineHealth, type EngineHealthOptions } from './health.js';
export { type EngineLoad, MemoryEngineLoad, RedisEngineLoad, type SlotCandidate, type SlotReservation } from './load.js';
export { type EngineCandidate, engineId, preferenceOrder } from './selection.js';
export { type EngineSource, type SourcedEngine, StaticEngineSource } from './source.js';
