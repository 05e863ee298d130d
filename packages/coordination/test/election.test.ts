import { MemoryOwnerElection, type OwnerElection, RedisOwnerElection } from '@acestream-proxy/coordination';
import { parseStreamId } from '@acestream-proxy/keys';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('abcdefabcdefabcdefabcdefabcdefabcdefabcd');

backendSuite('OwnerElection', (backend) => {
  const ttlMs = 300;
  let election: OwnerElection;
  beforeAll(async () => {
    election =
      backend.kind === 'memory'
        ? new MemoryOwnerElection(ttlMs)
        : new RedisOwnerElection(await backend.connect(), backend.keys, ttlMs);
  });
  afterAll(async () => {
    await election.drop(id);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('lets exactly one of many simultaneous claimers win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => election.claim(id, `host:${i}`)));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await election.owner(id)).toBe(winners[0]!.workerId);
    expect(await election.release(id, winners[0]!)).toBe(true);
    expect(await election.owner(id)).toBeNull();
  });

  it('gives each new claim a higher epoch, so an old token is refused', async () => {
    const first = await election.claim(id, 'host:a');
    expect(first).not.toBeNull();
    await election.release(id, first!);
    const second = await election.claim(id, 'host:a');
    expect(second!.epoch).toBeGreaterThan(first!.epoch);
    // Refused, with who holds the stream now: the same worker, under its newer claim.
    expect(await election.renew(id, first!)).toEqual({ renewed: false, owner: 'host:a' });
    expect(await election.release(id, first!)).toBe(false);
    expect(await election.owner(id)).toBe('host:a');
    expect(await election.renew(id, second!)).toEqual({ renewed: true });
    await election.release(id, second!);
  });

  it('takes over from a worker announced dead before its key expires, and from nobody else', async () => {
    const dead = await election.claim(id, 'host:dead');
    expect(await election.takeover(id, 'host:live', 'host:other')).toBeNull();
    const taken = await election.takeover(id, 'host:live', 'host:dead');
    expect(taken!.epoch).toBeGreaterThan(dead!.epoch);
    expect(await election.owner(id)).toBe('host:live');
    expect(await election.renew(id, dead!)).toEqual({ renewed: false, owner: 'host:live' });
    await election.release(id, taken!);
  });

  it('lets another worker claim once the owner stops renewing', async () => {
    const stale = await election.claim(id, 'host:old');
    expect(await election.claim(id, 'host:new')).toBeNull();
    const fresh = await waitFor(() => election.claim(id, 'host:new'), {
      timeoutMs: 3000,
      what: 'ttl to lapse',
    });
    expect(fresh.epoch).toBeGreaterThan(stale!.epoch);
    expect(await election.renew(id, stale!)).toEqual({ renewed: false, owner: 'host:new' });
    await election.release(id, fresh);
  });

  it('refuses the renewal of an expired claim nobody took, and says nobody owns the stream', async () => {
    const lapsed = await election.claim(id, 'host:old');
    await waitFor(async () => (await election.owner(id)) === null, { timeoutMs: 3000, what: 'ttl to lapse' });
    // The holder comes with the refusal: no second round trip to ask who owns it.
    expect(await election.renew(id, lapsed!)).toEqual({ renewed: false, owner: null });
    expect(await election.owner(id)).toBeNull();
    await election.drop(id);
  });

  it("stamps every claim's and takeover's fence with when its lease started (performance.now())", async () => {
    const beforeClaim = performance.now();
    const claimed = await election.claim(id, 'host:a');
    const afterClaim = performance.now();
    expect(claimed!.leaseFrom).toBeGreaterThanOrEqual(beforeClaim);
    expect(claimed!.leaseFrom).toBeLessThanOrEqual(afterClaim);
    const taken = await election.takeover(id, 'host:b', 'host:a');
    expect(taken!.leaseFrom).toBeGreaterThanOrEqual(afterClaim);
    expect(taken!.leaseFrom).toBeLessThanOrEqual(performance.now());
    await election.release(id, taken!);
  });

  it('leaves nothing of a claim whose start failed: 2,000 refused starts, no owner and no epoch', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => parseStreamId(`e${i.toString(16).padStart(39, '0')}`));
    const abandoned = await Promise.all(
      ids.map(async (refused) => election.abandon(refused, (await election.claim(refused, 'host:a'))!)),
    );
    expect(abandoned.every(Boolean)).toBe(true);
    // The epoch is gone too: the next claim starts again from 1 (leftovers() also finds no key).
    const again = await election.claim(ids[0]!, 'host:b');
    expect(again!.epoch).toBe(1);
    expect(await election.abandon(ids[0]!, again!)).toBe(true);
  });

  it('abandons nothing another worker owns now: its epoch stays monotonic', async () => {
    const failing = await election.claim(id, 'host:slow');
    const next = await waitFor(() => election.claim(id, 'host:next'), { timeoutMs: 3000, what: 'ttl to lapse' });
    expect(await election.abandon(id, failing!)).toBe(false);
    expect(await election.renew(id, next)).toEqual({ renewed: true });
    await election.release(id, next);
    const later = await election.claim(id, 'host:later');
    expect(later!.epoch).toBeGreaterThan(next.epoch);
    await election.release(id, later!);
  });
});

it('memory OwnerElection: 2,000 refused starts leave its size unchanged', async () => {
  const election = new MemoryOwnerElection(5000);
  const running = await election.claim(id, 'host:a');
  const before = election.size;
  for (let i = 0; i < 2000; i++) {
    const refused = parseStreamId(`f${i.toString(16).padStart(39, '0')}`);
    await election.abandon(refused, (await election.claim(refused, 'host:a'))!);
  }
  expect(election.size).toBe(before);
  await election.release(id, running!);
  await election.drop(id);
  expect(election.size).toBe(0);
});
