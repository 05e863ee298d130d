// Public surface of @acestream-proxy/buffer: the chunk ring (Redis and in-memory) and the chunker.
export type { AppendResult, ChunkStore, Fence, IndexListener } from './chunk-store.js';
export { Chunker, type ChunkerOptions } from './chunker.js';
export { MemoryChunkStore } from './memory-chunk-store.js';
export { RedisChunkStore, type RedisChunkStoreOptions } from './redis-chunk-store.js';
export { packetsBelowSizeClass } from './size-class.js';
