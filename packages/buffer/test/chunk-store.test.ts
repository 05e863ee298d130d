import { type ChunkStore, MemoryChunkStore, RedisChunkStore } from '@acestream-proxy/buffer';
import { parseStreamId } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('0123456789abcdef0123456789abcdef01234567');
const other = parseStreamId('fedcba9876543210fedcba9876543210fedcba98');

function packetBytes(seed: number, packets = 2): Buffer {
  const out = Buffer.alloc(188 * packets, seed & 0xff);
  for (let p = 0; p < packets; p++) out[p * 188] = 0x47;
  return out;
}

// The same contract on every backend (DESIGN §10): embedded mode must behave like Redis mode.
backendSuite('ChunkStore', (backend) => {
  let store: ChunkStore;
  beforeAll(async () => {
    store =
      backend.kind === 'memory'
        ? new MemoryChunkStore(60)
        : new RedisChunkStore({
            redis: await backend.connect(),
            subscriptions: await backend.subscriptions(),
            keys: backend.keys,
            ttlSeconds: 60,
          });
  });
  afterAll(async () => {
    await store.drop(id);
    await store.drop(other);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('starts empty', async () => {
    expect(await store.lastIndex(id)).toBe(0);
    expect(await store.read(id, 1, 2)).toEqual([null, null]);
  });

  it('appends in order and reads the exact bytes back', async () => {
    const a = packetBytes(1);
    const b = packetBytes(2, 3);
    expect(await store.append(id, 1, a)).toBe('ok');
    expect(await store.append(id, 2, b)).toBe('ok');
    expect(await store.lastIndex(id)).toBe(2);
    const [ra, rb] = await store.read(id, 1, 2);
    expect(Buffer.isBuffer(ra)).toBe(true);
    expect(ra!.equals(a)).toBe(true);
    expect(rb!.equals(b)).toBe(true);
  });

  it('keeps every byte value intact (no string decoding)', async () => {
    const all = Buffer.alloc(256 * 3);
    for (let i = 0; i < all.length; i++) all[i] = i & 0xff;
    expect(await store.append(id, 3, all)).toBe('ok');
    const [back] = await store.read(id, 3, 3);
    expect(back!.equals(all)).toBe(true);
  });

  it('deletes the chunk named as expired in the same append', async () => {
    const other2 = parseStreamId('0000000000000000000000000000000000000abc');
    await store.append(other2, 1, packetBytes(1));
    await store.append(other2, 2, packetBytes(2));
    expect(await store.append(other2, 3, packetBytes(3), undefined, 1)).toBe('ok');
    const [one, two, three] = await store.read(other2, 1, 3);
    expect(one).toBeNull();
    expect(two!.equals(packetBytes(2))).toBe(true);
    expect(three!.equals(packetBytes(3))).toBe(true);
    await store.drop(other2);
  });

  it('refuses an index that is not the next one', async () => {
    expect(await store.append(id, 3, packetBytes(9))).toBe('conflict');
    expect(await store.append(id, 9, packetBytes(9))).toBe('conflict');
    expect(await store.lastIndex(id)).toBe(3);
  });

  it('announces each appended index to subscribers of that stream only', async () => {
    const seen: number[] = [];
    const seenOther: number[] = [];
    const off = await store.subscribe(id, (n) => seen.push(n));
    const offOther = await store.subscribe(other, (n) => seenOther.push(n));
    await store.append(id, 4, packetBytes(4));
    await store.append(id, 5, packetBytes(5));
    await waitFor(() => seen.length >= 2, { what: 'two notifications' });
    expect(seen).toEqual([4, 5]);
    expect(seenOther).toEqual([]);
    await off();
    await offOther();
    await store.append(id, 6, packetBytes(6));
    expect(await store.lastIndex(id)).toBe(6);
    expect(seen).toEqual([4, 5]);
  });

  it('drop removes the index and every chunk', async () => {
    await store.drop(id);
    expect(await store.lastIndex(id)).toBe(0);
    expect(await store.read(id, 1, 6)).toEqual([null, null, null, null, null, null]);
    expect(await store.append(id, 1, packetBytes(1))).toBe('ok');
  });
});

// Names and TTLs operators see on one Redis (the cluster's carry hash tags).
backendSuite(
  'ChunkStore key names and fencing',
  (backend) => {
    let redis: Redis;
    let store: RedisChunkStore;
    const { prefix } = backend;
    beforeAll(async () => {
      redis = await backend.connect();
      store = new RedisChunkStore({ redis, subscriptions: await backend.subscriptions(), keys: backend.keys, ttlSeconds: 7 });
    });

    it('uses the operator-visible key names and sets the chunk TTL', async () => {
      await store.append(id, 1, packetBytes(1));
      expect(await redis.get(`${prefix}:stream:${id}:buffer:index`)).toBe('1');
      const ttl = await redis.ttl(`${prefix}:stream:${id}:buffer:chunk:1`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(7);
    });

    it('refuses an append from a worker that does not hold the owner token (fencing)', async () => {
      const k = backend.keys;
      await redis.set(k.owner(id), 'host:1');
      await redis.set(k.ownerEpoch(id), '4');
      expect(await store.append(id, 2, packetBytes(2), { workerId: 'host:2', epoch: 4 })).toBe('fenced');
      expect(await store.append(id, 2, packetBytes(2), { workerId: 'host:1', epoch: 3 })).toBe('fenced');
      expect(await store.lastIndex(id)).toBe(1);
      expect(await store.append(id, 2, packetBytes(2), { workerId: 'host:1', epoch: 4 })).toBe('ok');
      await redis.del(k.owner(id), k.ownerEpoch(id));
    });
  },
  { only: ['redis'] },
);
