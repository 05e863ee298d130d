// The takeover watch: a stream whose owner is gone is claimed and started here; one whose owner lives is left alone.

import { type EngineSim, startEngineSim } from '@acestream-proxy/engine-sim';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ORPHAN_ROUNDS } from '../src/cluster/takeover.js';
import { memoryBackends, newStreamId, redisBackends, type SharedBackends, type TestWorker, testWorker } from './owner-fixture.js';

const id = parseStreamId('d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4');

describe('takeover watch', () => {
  let engine: EngineSim;
  let shared: SharedBackends;
  let w2: TestWorker;

  beforeEach(async () => {
    engine = await startEngineSim({ port: 0 });
    shared = memoryBackends(10_000);
    w2 = testWorker('w2', shared, engine);
    w2.served.add(id);
  });

  afterEach(async () => {
    await w2.close();
    await engine.close();
  });

  it('takes over a stream whose owner is dead: a newer epoch, an engine session here, an owner_takeover event', async () => {
    const { election, metadata } = shared;
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await w2.watch.check(id);
    expect(w2.owner.owns(id)).toBe(true);
    expect(await election.owner(id)).toBe('w2');
    expect(w2.stats.takeovers).toBe(1);
    expect(w2.events.map((e) => e.type)).toEqual(['owner_takeover', 'stream_started']);
    expect(w2.events[0]).toEqual({ type: 'owner_takeover', stream_id: id, previous_owner: 'w1', epoch: 2 });
    await waitFor(async () => (await metadata.get(id))?.state === 'active', { what: 'the taken-over stream to be active' });
    expect((await metadata.get(id))?.owner).toBe('w2');
    expect(engine.stats().active).toBe(1);
  });

  it('leaves a stream whose owner is alive alone', async () => {
    const { election, metadata, presence } = shared;
    await presence.beat('w1');
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await w2.watch.check(id);
    expect(w2.owner.owns(id)).toBe(false);
    expect(w2.events).toEqual([]);
    expect(engine.stats().started).toBe(0);
  });

  it('takes over at once from a worker announced dead, even before its heartbeat lapses', async () => {
    const { election, metadata, presence } = shared;
    await presence.beat('w1');
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await w2.watch.check(id, 'w1');
    expect(w2.owner.owns(id)).toBe(true);
  });

  it(`closes a stream with neither owner nor metadata after ${ORPHAN_ROUNDS} checks, not before`, async () => {
    for (let n = 1; n < ORPHAN_ROUNDS; n++) await w2.watch.check(id);
    expect(w2.closed).toEqual([]);
    await w2.watch.check(id);
    expect(w2.closed).toEqual([id]);
    expect(w2.owner.owns(id)).toBe(false);
  });
});

// Several workers watch one stream through one Redis: what the election's scripts decide.
backendSuite(
  'takeover watch on Redis',
  (backend) => {
    let shared: SharedBackends;
    let engine: EngineSim;
    let workers: TestWorker[];

    beforeAll(async () => {
      shared = await redisBackends(backend, 10_000);
    });
    beforeEach(async () => {
      engine = await startEngineSim({ port: 0 });
      workers = [];
    });
    afterEach(async () => {
      for (const w of workers) await w.close();
      for (const w of workers) await shared.presence.leave(w.workerId);
      await engine.close();
    });
    afterAll(async () => {
      expect(await backend.leftovers()).toEqual([]);
    });

    /** Live workers (heartbeats in Redis) serving players of `stream`. */
    async function serving(stream: StreamId, ...ids: string[]): Promise<TestWorker[]> {
      const started = ids.map((workerId) => testWorker(workerId, shared, engine));
      for (const w of started) {
        w.served.add(stream);
        await shared.presence.beat(w.workerId);
      }
      workers.push(...started);
      return started;
    }

    /** `stream` runs on w1, a worker that died: its owner key stays until its TTL, its heartbeat is gone. */
    async function ownedByDeadWorker(stream: StreamId): Promise<void> {
      expect(await shared.election.claim(stream, 'w1')).not.toBeNull();
      await shared.metadata.update(stream, { state: 'active', owner: 'w1' });
    }

    it.each([
      ['periodic checks', undefined],
      ['checks for the death announcement', 'w1'],
    ])(
      "one at a time: two workers' simultaneous %s take a dead owner's stream over once, one engine session",
      async (_, dead) => {
        const stream = newStreamId();
        const [w2, w3] = await serving(stream, 'w2', 'w3');
        await ownedByDeadWorker(stream);
        await Promise.all([w2!.watch.check(stream, dead), w3!.watch.check(stream, dead)]);
        const owners = [w2!, w3!].filter((w) => w.owner.owns(stream));
        expect(owners).toHaveLength(1);
        expect(await shared.election.owner(stream)).toBe(owners[0]!.workerId);
        expect(w2!.stats.takeovers + w3!.stats.takeovers).toBe(1);
        expect(engine.stats().started).toBe(1);
        // The next round finds a live owner: nobody takes it from the worker that won.
        await Promise.all([w2!.watch.check(stream), w3!.watch.check(stream)]);
        expect(await shared.election.owner(stream)).toBe(owners[0]!.workerId);
        expect(engine.stats().started).toBe(1);
      },
    );

    it('one at a time on a worker: overlapping periodic checks of one stream are one check', async () => {
      const stream = newStreamId();
      const [w2] = await serving(stream, 'w2');
      await ownedByDeadWorker(stream);
      const first = w2!.watch.check(stream);
      expect(w2!.watch.check(stream)).toBe(first);
      await first;
      expect(w2!.stats.takeovers).toBe(1);
      expect(engine.stats().started).toBe(1);
    });

    it('a death announcement heard while a periodic check runs gets a check of its own after it', async () => {
      const stream = newStreamId();
      const [w2] = await serving(stream, 'w2');
      // w1 still beats: the periodic check finds it alive; the announcement says otherwise.
      await shared.presence.beat('w1');
      await ownedByDeadWorker(stream);
      const periodic = w2!.watch.check(stream);
      const announced = w2!.watch.check(stream, 'w1');
      await periodic;
      await announced;
      expect(w2!.owner.owns(stream)).toBe(true);
      expect(w2!.events[0]).toMatchObject({ type: 'owner_takeover', previous_owner: 'w1' });
      await shared.presence.leave('w1');
    });

    it('lease-expired reclaim: a stream whose lease ran out here is claimed at the first check that finds it without owner and metadata', async () => {
      const stream = newStreamId();
      const [w2] = await serving(stream, 'w2');
      // Its lease ran out with Redis unreachable, and Redis lost the owner key and the metadata meanwhile.
      w2!.watch.leaseExpired(stream);
      await w2!.watch.check(stream);
      expect(w2!.owner.owns(stream)).toBe(true);
      expect(w2!.closed).toEqual([]);
      expect(await shared.election.owner(stream)).toBe('w2');
    });

    it(`without that, such a stream is an orphan: not claimed, closed after ${ORPHAN_ROUNDS} checks`, async () => {
      const stream = newStreamId();
      const [w2] = await serving(stream, 'w2');
      for (let n = 1; n < ORPHAN_ROUNDS; n++) await w2!.watch.check(stream);
      expect(await shared.election.owner(stream)).toBeNull();
      await w2!.watch.check(stream);
      expect(w2!.closed).toEqual([stream]);
      expect(w2!.owner.owns(stream)).toBe(false);
    });

    it('lease-expired reclaim only for a stream served here: one served later waits its orphan rounds', async () => {
      const stream = newStreamId();
      const [w2] = await serving(stream, 'w2');
      w2!.served.delete(stream);
      w2!.watch.leaseExpired(stream);
      w2!.served.add(stream);
      await w2!.watch.check(stream);
      expect(w2!.owner.owns(stream)).toBe(false);
      expect(await shared.election.owner(stream)).toBeNull();
    });
  },
  { only: ['redis'] },
);
