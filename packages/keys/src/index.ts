// Public surface of @acestream-proxy/keys: validated stream ids and every Redis name.
export { Keys, type KeysOptions } from './keys.js';
export { BadStreamIdError, isStreamId, parseStreamId, type StreamId } from './stream-id.js';
