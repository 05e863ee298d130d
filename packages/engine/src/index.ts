// Public surface of @acestream-proxy/engine: the AceStream engine client and its errors.
export { EngineClient, type EngineClientOptions, type EngineSession, type EngineStat } from './client.js';
export { type EngineAddress, EngineError, type EngineErrorCode, toEngineError } from './errors.js';
