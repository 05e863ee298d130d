// The SegmentStore contract in memory, on Redis and on the cluster; the Redis list refuses a fenced-off owner.

import { MemoryChunkStore } from '@acestream-proxy/buffer';
import { MemorySegmentStore, RedisSegmentStore, SegmentCache, type SegmentRecord, type SegmentStore } from '@acestream-proxy/hls';
import { parseStreamId } from '@acestream-proxy/keys';
import { backendSuite } from '@acestream-proxy/test-utils';
import { beforeAll, describe, expect, it } from '@jest/globals';

const id = parseStreamId('ab'.repeat(20));
const header = Buffer.alloc(376, 0x47);

function segment(sequence: number, at = Date.now()): SegmentRecord {
  return {
    sequence,
    firstChunk: sequence * 2,
    firstOffset: 188,
    lastChunk: sequence * 2 + 1,
    endOffset: 376,
    durationMs: 2000,
    discontinuity: sequence === 3,
    discontinuitySequence: sequence >= 3 ? 1 : 0,
    startedAt: 1_700_000_000_000 + sequence * 2000,
    appendedAt: at,
    bytes: 376 + (564 - 188) + 376,
    header,
  };
}

backendSuite('SegmentStore', (backend) => {
  let store: SegmentStore;
  beforeAll(async () => {
    if (backend.kind === 'memory') {
      store = new MemorySegmentStore(4);
      return;
    }
    const redis = await backend.connect();
    // The records' fence: w1 owns the stream at epoch 1.
    await redis.set(backend.keys.owner(id), 'w1');
    await redis.set(backend.keys.ownerEpoch(id), '1');
    store = new RedisSegmentStore({ redis, keys: backend.keys, keep: 4, ttlSeconds: 60 });
  });

  it('keeps the newest records in order, exactly as written', async () => {
    expect(await store.last(id)).toBeNull();
    for (let n = 1; n <= 6; n++) expect(await store.append(id, segment(n), { workerId: 'w1', epoch: 1 })).toBe(true);
    const list = await store.list(id);
    expect(list.map((s) => s.sequence)).toEqual([3, 4, 5, 6]);
    expect(list[0]).toEqual(segment(3, list[0]!.appendedAt));
    expect((await store.last(id))?.sequence).toBe(6);
    await store.drop(id);
    expect(await store.list(id)).toEqual([]);
  });
});

backendSuite(
  'SegmentStore fencing',
  (backend) => {
    it('refuses records from an owner whose epoch has passed, and expires with the chunks', async () => {
      const { keys } = backend;
      const redis = await backend.connect();
      const store = new RedisSegmentStore({ redis, keys, keep: 4, ttlSeconds: 30 });
      await redis.set(keys.owner(id), 'w2');
      await redis.set(keys.ownerEpoch(id), '7');
      expect(await store.append(id, segment(1), { workerId: 'w1', epoch: 6 })).toBe(false);
      expect(await store.append(id, segment(1), { workerId: 'w2', epoch: 7 })).toBe(true);
      expect((await store.list(id)).map((s) => s.sequence)).toEqual([1]);
      const ttl = await redis.ttl(keys.hlsSegments(id));
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
    });
  },
  { only: ['redis', 'cluster'] },
);

describe('the worker segment cache', () => {
  it('reads a segment once per worker however many players ask, and never serves one half gone', async () => {
    const chunks = new MemoryChunkStore(60);
    for (let n = 1; n <= 8; n++) await chunks.append(id, n, Buffer.alloc(564, n));
    const segments = new MemorySegmentStore(10);
    await segments.append(id, segment(2));
    await segments.append(id, segment(3));
    const cache = new SegmentCache({ segments, chunks, window: 6, listMaxAgeMs: 1000, listableMs: 60_000, idleMs: 60_000 });
    let reads = 0;
    const read = chunks.read.bind(chunks);
    chunks.read = (...args) => {
      reads++;
      return read(...args);
    };
    const served = await Promise.all(Array.from({ length: 50 }, () => cache.segment(id, 2)));
    expect(reads).toBe(1);
    const bytes = Buffer.concat(served[0]!.parts);
    expect(bytes.length).toBe(served[0]!.record.bytes);
    expect(bytes.subarray(376)).toEqual(Buffer.concat([Buffer.alloc(376, 4), Buffer.alloc(376, 5)]));
    expect(served.every((s) => s!.parts[1]!.buffer === served[0]!.parts[1]!.buffer)).toBe(true);
    expect(await cache.segment(id, 4)).toBeNull();
    // Chunk 7 of segment 3 has left the buffer: no segment rather than half of one.
    await chunks.drop(id);
    for (let n = 1; n <= 6; n++) await chunks.append(id, n, Buffer.alloc(564, n));
    expect(await cache.segment(id, 3)).toBeNull();
    cache.close();
  });
});
