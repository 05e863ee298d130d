// GuideStore contract (parts in chunks, the atomic switch, the refresh lock), run against memory,
// one Redis and a Redis Cluster.

import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  createPart,
  type GuideMeta,
  type GuideStore,
  MemoryGuideStore,
  PART_CHUNK_BYTES,
  type PartRef,
  RedisGuideStore,
  readPart,
  UNPUBLISHED_PART_TTL_MS,
} from '@acestream-proxy/epg';
import type { Redis } from '@acestream-proxy/redis';
import { backendSuite } from '@acestream-proxy/test-utils';
import { beforeAll, expect, it } from '@jest/globals';

const metaWith = (channels: PartRef, programmes: PartRef[]): GuideMeta => ({
  refreshedAt: Date.now(),
  sources: ['a.xml'],
  channelsFingerprint: 'f',
  status: [],
  parts: { channels, programmes },
  retired: [],
});

async function storePart(store: GuideStore, bytes: Buffer): Promise<PartRef> {
  const part = createPart(store);
  for (let at = 0; at < bytes.length; at += 64 * 1024) {
    if (!part.sink.write(bytes.subarray(at, at + 64 * 1024))) await new Promise((r) => part.sink.once('drain', r));
  }
  part.sink.end();
  return part.done;
}

backendSuite('GuideStore', (backend) => {
  let store: GuideStore;
  /** A second worker's view of the same store. */
  let other: GuideStore;
  /** Redis as it is, to look at expiries (not in memory). */
  let redis: Redis;
  beforeAll(async () => {
    if (backend.kind === 'memory') {
      store = other = new MemoryGuideStore();
      return;
    }
    const [reads, writes, reads2, writes2] = await Promise.all([
      backend.connect('request'),
      backend.connect(),
      backend.connect('request'),
      backend.connect(),
    ]);
    redis = writes;
    store = new RedisGuideStore({ reads, writes, keys: backend.keys });
    other = new RedisGuideStore({ reads: reads2, writes: writes2, keys: backend.keys });
  });

  it('keeps a part as gzip chunks of at most 1 MB and reads it back chunk by chunk, as written', async () => {
    // Random bytes do not compress: 2.5 MB of them make three chunks.
    const bytes = randomBytes(2.5 * 1024 * 1024);
    const ref = await storePart(store, bytes);
    expect(ref.chunks).toBe(3);
    const chunks: Buffer[] = [];
    for await (const chunk of readPart(other, ref)) chunks.push(chunk);
    expect(chunks.every((c) => c.length <= PART_CHUNK_BYTES)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(ref.bytes);
    expect(gunzipSync(Buffer.concat(chunks)).equals(bytes)).toBe(true);
    await store.deleteParts([ref.id]);
    await expect(readPart(other, ref).next()).rejects.toThrow(/lost its chunk 0 of 3/);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('switches meta and copies at once, and drops the copies of sources no longer configured', async () => {
    const channels = await storePart(store, Buffer.from('<channel id="a"/>'));
    const programmes = await storePart(store, Buffer.from('<programme/>'));
    const copy = { channels: [['a', '<channel id="a"/>']] as Array<[string, string]>, programmes };
    const meta = metaWith(channels, [programmes]);
    await store.write(
      meta,
      new Map([
        ['a.xml', copy],
        ['b.xml', copy],
      ]),
      [],
    );
    expect(await other.readMeta()).toEqual(meta);
    expect([...(await other.readCopies()).keys()].sort()).toEqual(['a.xml', 'b.xml']);
    await store.write(metaWith(channels, []), new Map(), ['b.xml']);
    expect(await other.readCopies()).toEqual(new Map([['a.xml', copy]]));
    expect((await other.readMeta())?.parts.programmes).toEqual([]);
    await store.deleteParts([channels.id, programmes.id]);
  });

  it('lets one worker hold the refresh lock; renew and unlock only with its token', async () => {
    const token = await store.lock(5000);
    expect(token).not.toBeNull();
    expect(await other.lock(5000)).toBeNull();
    expect(await other.renew('not-the-token', 5000)).toBe(false);
    await other.unlock('not-the-token');
    expect(await other.lock(5000)).toBeNull();
    expect(await store.renew(token!, 5000)).toBe(true);
    await store.unlock(token!);
    expect(await store.renew(token!, 5000)).toBe(false);
    const next = await other.lock(5000);
    expect(next).not.toBeNull();
    await other.unlock(next!);
  });

  if (backend.kind !== 'memory') {
    it('a refresh that dies before its switch leaves parts that lapse; the parts a switch names are kept for good', async () => {
      const published = await storePart(store, Buffer.from('<programme/>'));
      const orphan = await storePart(store, Buffer.from('<programme/>'));
      for (const part of [published, orphan]) await store.writeSchedule(part.id, new Map([['a', '[]']]));
      const ttls = async (part: PartRef) =>
        Promise.all([redis.pttl(backend.keys.epgPart(part.id)), redis.pttl(backend.keys.epgSchedule(part.id))]);
      for (const ttl of [...(await ttls(published)), ...(await ttls(orphan))]) {
        expect(ttl).toBeGreaterThan(UNPUBLISHED_PART_TTL_MS - 60_000);
        expect(ttl).toBeLessThanOrEqual(UNPUBLISHED_PART_TTL_MS);
      }
      await store.write(metaWith(published, [published]), new Map(), []);
      // -1: kept with no expiry.
      expect(await ttls(published)).toEqual([-1, -1]);
      expect((await ttls(orphan)).every((ttl) => ttl > 0)).toBe(true);
      await store.deleteParts([published.id, orphan.id]);
    });
  }
});
