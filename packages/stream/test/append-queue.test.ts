// The owner's append queue: chunks reach the buffer in index order, fenced, and are dropped while the buffer stalls.

import { type ChunkStore, MemoryChunkStore, RedisChunkStore } from '@acestream-proxy/buffer';
import {
  MemoryOwnerElection,
  MemoryWorkerPresence,
  type OwnerElection,
  RedisOwnerElection,
  type Renewal,
} from '@acestream-proxy/coordination';
import { parseStreamId } from '@acestream-proxy/keys';
import { silentLogger, WorkerStats } from '@acestream-proxy/stream';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppendQueue, type AppendQueueOptions, type FenceHolder } from '../src/owner/append-queue.js';
import { Ownership } from '../src/owner/ownership.js';

const id = parseStreamId('a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9');

function chunk(tag: number): Buffer {
  const out = Buffer.alloc(188, tag);
  out[0] = 0x47;
  return out;
}

/** A token nobody checks (the memory store does not fence), and nothing to claim back. */
const unfenced: FenceHolder = { fence: undefined, reclaim: async () => null };

function queue(store: ChunkStore, overrides: Partial<AppendQueueOptions> = {}): AppendQueue {
  return new AppendQueue({
    id,
    store,
    ownership: unfenced,
    bufferTtlMs: 60_000,
    stats: new WorkerStats(),
    logger: silentLogger,
    onFenced: () => {},
    ...overrides,
  });
}

describe('append queue (memory store)', () => {
  it('appends chunks in index order after the last index an earlier owner left', async () => {
    const store = new MemoryChunkStore(60);
    for (let n = 1; n <= 3; n++) await store.append(id, n, chunk(n));
    const appends = queue(store);
    await appends.open();
    expect(appends.next).toBe(4);
    for (let n = 4; n <= 9; n++) appends.enqueue(chunk(n));
    await appends.idle();
    expect(await store.lastIndex(id)).toBe(9);
    expect((await store.read(id, 4, 9)).map((c) => c![1])).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('continues after an index another worker moved (a previous owner’s last append)', async () => {
    const store = new MemoryChunkStore(60);
    const appends = queue(store);
    await appends.open();
    await store.append(id, 1, chunk(100));
    appends.enqueue(chunk(2));
    await appends.idle();
    expect(await store.lastIndex(id)).toBe(2);
    expect((await store.read(id, 2, 2))[0]![1]).toBe(2);
  });

  it('drops new chunks once the oldest waiting append is older than maxWaitMs, and takes them again after', async () => {
    // A store that holds every append until let go: an outage, as the queue sees one.
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    class StalledStore extends MemoryChunkStore {
      override async append(...args: Parameters<MemoryChunkStore['append']>) {
        await stalled;
        return super.append(...args);
      }
    }
    const store = new StalledStore(60);
    let clock = 1_000;
    const stats = new WorkerStats();
    const appends = queue(store, { maxWaitMs: 3000, now: () => clock, stats });
    await appends.open();
    appends.enqueue(chunk(1));
    clock += 3000; // exactly the limit: still queued
    appends.enqueue(chunk(2));
    clock += 1; // past it: dropped
    appends.enqueue(chunk(3));
    appends.enqueue(chunk(4));
    release();
    await appends.idle();
    expect(stats.chunksAppended).toBe(2);
    expect(await store.lastIndex(id)).toBe(2);
    // The store takes chunks again: nothing waits, so the next one is queued.
    appends.enqueue(chunk(5));
    await appends.idle();
    expect(await store.lastIndex(id)).toBe(3);
  });
});

/** w1 claims the stream on `election`: its Ownership. */
async function claim(election: OwnerElection): Promise<Ownership> {
  const fence = (await election.claim(id, 'w1'))!;
  return new Ownership(id, fence, { workerId: 'w1', election, presence: new MemoryWorkerPresence(), logger: silentLogger });
}

/** w1's claim on the stream (1 s TTL, on a clock the test moves), and its Ownership. */
async function claimed() {
  let clock = 0;
  const election = new MemoryOwnerElection(1000, () => clock);
  const ownership = await claim(election);
  return {
    election,
    ownership,
    expire: () => {
      clock += 1001;
    },
  };
}

describe('ownership (memory election)', () => {
  it('claims the stream back when the owner key is lost, and tells the stream to restore its index', async () => {
    const { ownership, expire } = await claimed();
    const restored: number[] = [];
    ownership.hold({ onReclaimed: async (f) => void restored.push(f.epoch), onLost: () => {}, onExpired: () => {} });
    expire(); // and nobody claimed it
    expect(await ownership.reclaim()).toMatchObject({ workerId: 'w1', epoch: 2 });
    expect(restored).toEqual([2]);
    expect(ownership.fence.epoch).toBe(2);
    ownership.release();
  });

  it('is lost (onLost, once) when another worker took the stream, and never claims it back', async () => {
    const { election, ownership, expire } = await claimed();
    let lost = 0;
    ownership.hold({ onReclaimed: async () => {}, onLost: () => lost++, onExpired: () => {} });
    expire();
    await election.claim(id, 'w2');
    expect(await ownership.reclaim()).toBeNull();
    await ownership.renew();
    await ownership.renew();
    expect(lost).toBe(1);
  });

  it('runs out by its own clock when no renewal is answered (a cut link): onExpired within the TTL, and no append is sent after', async () => {
    const election = new MemoryOwnerElection(300);
    const started = performance.now();
    const ownership = await claim(election);
    const store = new MemoryChunkStore(60);
    const appends = queue(store, { ownership });
    await appends.open();
    appends.enqueue(chunk(1));
    await appends.idle();
    // From now on Redis answers nothing: renewals hang, as on a partitioned link.
    election.renew = () => new Promise<Renewal>(() => {});
    let expiredAfter = -1;
    ownership.hold({
      onReclaimed: async () => {},
      onLost: () => {},
      onExpired: () => {
        expiredAfter = performance.now() - started;
      },
    });
    await waitFor(() => expiredAfter >= 0, { what: 'the lease to run out' });
    // The TTL from the claim, and the few ms a timer may fire late.
    expect(expiredAfter).toBeGreaterThanOrEqual(290);
    expect(expiredAfter).toBeLessThanOrEqual(300 + 25);
    expect(ownership.leaseValid).toBe(false);
    appends.enqueue(chunk(2));
    await appends.idle();
    expect(await store.lastIndex(id)).toBe(1);
  });

  it('does not claim back before the stream started under it, nor after release', async () => {
    const { election, ownership, expire } = await claimed();
    expire();
    expect(await ownership.reclaim()).toBeNull();
    ownership.hold({ onReclaimed: async () => {}, onLost: () => {}, onExpired: () => {} });
    ownership.release();
    expect(await ownership.reclaim()).toBeNull();
    expect(await election.owner(id)).toBeNull();
  });
});

// Fencing needs the append script's check: on a real Redis.
backendSuite(
  'append queue fencing',
  (backend) => {
    let store: RedisChunkStore;
    let election: RedisOwnerElection;
    beforeAll(async () => {
      const redis = await backend.connect();
      store = new RedisChunkStore({ redis, subscriptions: await backend.subscriptions(), keys: backend.keys, ttlSeconds: 60 });
      election = new RedisOwnerElection(redis, backend.keys, 5000);
    });
    afterAll(async () => {
      await store.drop(id);
      await election.drop(id);
    });

    it('stops at the first append after another worker took the stream over; its chunks never reach the buffer', async () => {
      const ownership = await claim(election);
      ownership.hold({ onReclaimed: async () => {}, onLost: () => {}, onExpired: () => {} });
      let fenced = 0;
      const appends = queue(store, { ownership, onFenced: () => fenced++ });
      await appends.open();
      appends.enqueue(chunk(1));
      await appends.idle();
      expect(await store.lastIndex(id)).toBe(1);
      // w2 takes over and appends chunk 2 under its newer epoch.
      const taken = (await election.takeover(id, 'w2', 'w1'))!;
      expect(await store.append(id, 2, chunk(20), taken)).toBe('ok');
      appends.enqueue(chunk(3));
      appends.enqueue(chunk(4));
      await waitFor(() => fenced > 0, { what: 'the queue to be fenced' });
      await appends.idle();
      expect(fenced).toBe(1);
      expect(await store.lastIndex(id)).toBe(2);
      expect((await store.read(id, 2, 2))[0]![1]).toBe(20);
      ownership.release();
    });
  },
  { only: ['redis'] },
);
