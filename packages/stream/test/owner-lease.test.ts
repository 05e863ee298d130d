// The owner's lease on Redis: renewed from the claim through a slow engine start, one round trip per refused renewal, no settle wait after a stop.

import { type OwnerElection, RedisOwnerElection } from '@acestream-proxy/coordination';
import { type EngineSim, startEngineSim } from '@acestream-proxy/engine-sim';
import type { Redis } from '@acestream-proxy/redis';
import { backendSuite } from '@acestream-proxy/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../src/logger.js';
import type { OwnerRoleOptions } from '../src/owner/owner-role.js';
import { Ownership } from '../src/owner/ownership.js';
import { newStreamId, redisBackends, type SharedBackends, type TestWorker, testWorker } from './owner-fixture.js';

/** Short, so a start of a few TTLs takes about a second. */
const TTL_MS = 300;

/** Waits out a moment that must pass with nothing happening (the test asserts an absence). */
const pastMoment = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `election`, recording the name of each of its methods called (each is one round trip to Redis). */
function counted(election: OwnerElection, calls: string[]): OwnerElection {
  return new Proxy(election, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return value.apply(target, args);
      };
    },
  });
}

backendSuite(
  'owner lease',
  (backend) => {
    let shared: SharedBackends;
    let redis: Redis;
    let engine: EngineSim;
    let workers: TestWorker[];

    const worker = (workerId: string, options: Partial<OwnerRoleOptions> = {}): TestWorker => {
      const w = testWorker(workerId, shared, engine, options);
      workers.push(w);
      return w;
    };

    beforeAll(async () => {
      shared = await redisBackends(backend, TTL_MS);
      redis = await backend.connect();
    });
    beforeEach(async () => {
      engine = await startEngineSim({ port: 0 });
      workers = [];
    });
    afterEach(async () => {
      for (const w of workers) await w.close();
      await shared.presence.leave('w1');
      await engine.close();
    });
    afterAll(async () => {
      expect(await backend.leftovers()).toEqual([]);
    });

    it('a claim whose engine takes longer than the owner TTL to answer keeps its lease: no other worker claims the stream meanwhile', async () => {
      const { election } = shared;
      const stream = newStreamId();
      engine.setFault(stream, { answer_ms: 4 * TTL_MS });
      const w1 = worker('w1');
      const fence = (await election.claim(stream, 'w1'))!;
      let settled = false;
      const starting = w1.owner.start(stream, fence).finally(() => {
        settled = true;
      });
      // Another worker's player asks for the stream all through the start: every claim is refused.
      const refusedAt: number[] = [];
      while (!settled) {
        expect(await election.claim(stream, 'w2')).toBeNull();
        refusedAt.push(performance.now() - fence.leaseFrom);
        await pastMoment(TTL_MS / 6);
      }
      await starting;
      expect(Math.max(...refusedAt)).toBeGreaterThan(3 * TTL_MS);
      expect(w1.owner.owns(stream)).toBe(true);
      expect(await election.owner(stream)).toBe('w1');
      expect(engine.stats().started).toBe(1);
    });

    describe('a refused renewal', () => {
      // A long TTL: no timed renewal runs during a test, only the one it calls.
      let election: RedisOwnerElection;
      beforeAll(() => {
        election = new RedisOwnerElection(redis, backend.keys, 10_000);
      });

      it('asks Redis once: the refusal names the worker that owns the stream now, and the stream is lost', async () => {
        const stream = newStreamId();
        const calls: string[] = [];
        const fence = (await election.claim(stream, 'w1'))!;
        const options = { workerId: 'w1', election: counted(election, calls), presence: shared.presence, logger: silentLogger };
        const ownership = new Ownership(stream, fence, options);
        let lost = 0;
        ownership.hold({ onReclaimed: async () => {}, onLost: () => lost++, onExpired: () => {} });
        const taken = (await election.takeover(stream, 'w2', 'w1'))!;
        await ownership.renew();
        expect(calls).toEqual(['renew']);
        expect(lost).toBe(1);
        await election.release(stream, taken);
        await election.drop(stream);
      });

      it('that finds nobody owning the stream claims it back with one more: renew, then claim', async () => {
        const stream = newStreamId();
        const calls: string[] = [];
        const fence = (await election.claim(stream, 'w1'))!;
        const options = { workerId: 'w1', election: counted(election, calls), presence: shared.presence, logger: silentLogger };
        const ownership = new Ownership(stream, fence, options);
        const reclaimed: number[] = [];
        ownership.hold({ onReclaimed: async (f) => void reclaimed.push(f.epoch), onLost: () => {}, onExpired: () => {} });
        // Redis lost the owner key (restarted empty, or it expired during an outage).
        await redis.del(backend.keys.owner(stream));
        await ownership.renew();
        expect(calls).toEqual(['renew', 'claim']);
        expect(reclaimed).toEqual([fence.epoch + 1]);
        expect(await election.owner(stream)).toBe('w1');
        ownership.release();
        await election.release(stream, ownership.fence);
        await election.drop(stream);
      });
    });

    describe('settle window', () => {
      const SETTLE_MS = 300;
      const GRACE_MS = 50;

      /** A stream owned by w1 whose grace period waits for the settle window (Redis came back, no player here). */
      const settling = async () => {
        const stream = newStreamId();
        const w1 = worker('w1', { gracePeriodSeconds: GRACE_MS / 1000 });
        await w1.owner.start(stream, (await shared.election.claim(stream, 'w1'))!);
        w1.owner.settle(SETTLE_MS);
        w1.owner.scheduleGrace(stream);
        return { stream, w1 };
      };

      it('a stream stopped while its grace period waits for the settle window is not stopped by that wait once it runs again', async () => {
        const { election } = shared;
        const { stream, w1 } = await settling();
        await w1.owner.stop(stream, 'stopped', 'asked to');
        await w1.owner.start(stream, (await election.claim(stream, 'w1'))!);
        // The window and a grace period are over: a wait left from the first run would have stopped this one.
        await pastMoment(SETTLE_MS + GRACE_MS + 300);
        expect(w1.owner.owns(stream)).toBe(true);
        expect(engine.stats().active).toBe(1);
      });

      it('is over for a closed owner role: no grace period runs after close', async () => {
        const { stream, w1 } = await settling();
        await w1.owner.close();
        await pastMoment(SETTLE_MS + GRACE_MS + 300);
        expect(w1.owner.owns(stream)).toBe(true);
        expect(await shared.metadata.get(stream)).not.toBeNull();
      });
    });
  },
  { only: ['redis'] },
);
