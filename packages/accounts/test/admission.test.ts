// A user's limits held cluster-wide (AdmissionStore contract) over memory, one Redis and a Redis Cluster.

import { type AdmissionStore, type LimitPolicy, MemoryAdmissionStore, RedisAdmissionStore } from '@acestream-proxy/accounts';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';

const TTL = 10_000;
const limits = (channels: number, connections: number, policy: LimitPolicy = 'refuse') => ({ channels, connections, policy });

backendSuite('AdmissionStore', (backend) => {
  /** One handle per racing worker (one connection each for Redis). */
  let workers: AdmissionStore[];
  let store: AdmissionStore;
  beforeAll(async () => {
    workers =
      backend.kind === 'memory'
        ? [new MemoryAdmissionStore()]
        : await Promise.all([0, 1, 2].map(async () => new RedisAdmissionStore(await backend.connect(), backend.keys)));
    store = workers[0]!;
  });
  afterEach(async () => {
    for (const user of ['alice', 'bob']) {
      for (const c of await store.connections(user)) await store.release(user, c.connection);
    }
    // What was ended is remembered for its TTL (refreshes report it), nothing else is left.
    if (backend.kind === 'memory') expect((store as MemoryAdmissionStore).size).toBe(0);
    else expect((await backend.leftovers()).filter((key) => !key.endsWith(':ended'))).toEqual([]);
  });

  it('admits exactly 2 of 3 channels opened at once through racing workers by a user limited to 2', async () => {
    const results = await Promise.all(
      ['ch1', 'ch2', 'ch3'].map((stream, i) =>
        workers[i % workers.length]!.admit({ user: 'alice', limits: limits(2, 0), connection: `c${i}`, stream, ttlMs: TTL }),
      ),
    );
    expect(results.filter((r) => r.admitted)).toHaveLength(2);
    expect(results.filter((r) => !r.admitted)).toEqual([{ admitted: false, limit: 'channels', allowed: 2 }]);
    expect(new Set((await store.connections('alice')).map((c) => c.stream)).size).toBe(2);
  });

  it("runs a user's admits and releases of one turn in call order, each atomic", async () => {
    // One connection allowed: each release makes room for the admit after it, never before.
    const one = limits(0, 1);
    const asked = await Promise.all([
      store.admit({ user: 'alice', limits: one, connection: 'a', stream: 'ch1', ttlMs: TTL }),
      store.admit({ user: 'alice', limits: one, connection: 'b', stream: 'ch1', ttlMs: TTL }),
      store.release('alice', 'a'),
      store.admit({ user: 'alice', limits: one, connection: 'c', stream: 'ch2', ttlMs: TTL }),
      store.admit({ user: 'bob', limits: one, connection: 'd', stream: 'ch1', ttlMs: TTL }),
      store.end('alice', 'c', TTL),
      store.admit({ user: 'alice', limits: one, connection: 'e', stream: 'ch2', ttlMs: TTL }),
    ]);
    expect(asked.map((a) => (a && typeof a === 'object' ? a.admitted : 'released'))).toEqual([
      true,
      false,
      'released',
      true,
      true,
      'released',
      true,
    ]);
    expect((await store.connections('alice')).map((c) => c.connection)).toEqual(['e']);
    expect((await store.connections('bob')).map((c) => c.connection)).toEqual(['d']);
  });

  it('counts two players on one channel as one channel, but as two connections', async () => {
    const join = (connection: string, stream: string) =>
      store.admit({ user: 'alice', limits: limits(1, 2), connection, stream, ttlMs: TTL });
    expect((await join('tv', 'ch1')).admitted).toBe(true);
    expect((await join('phone', 'ch1')).admitted).toBe(true);
    expect(await join('tablet', 'ch1')).toEqual({ admitted: false, limit: 'connections', allowed: 2 });
    expect(await join('laptop', 'ch2')).toEqual({ admitted: false, limit: 'channels', allowed: 1 });
    // Admitting a connection again is a refresh, never a second count; other users are not touched.
    expect((await join('tv', 'ch1')).admitted).toBe(true);
    expect((await store.admit({ user: 'bob', limits: limits(1, 1), connection: 'b1', stream: 'ch2', ttlMs: TTL })).admitted).toBe(
      true,
    );
    await store.release('alice', 'phone');
    expect((await join('tablet', 'ch1')).admitted).toBe(true);
  });

  it("ends the oldest channel's players under the oldest policy, never the joined channel's", async () => {
    const join = (connection: string, stream: string) =>
      store.admit({ user: 'alice', limits: limits(2, 3, 'oldest'), connection, stream, ttlMs: TTL });
    await join('a1', 'ch1');
    await join('a2', 'ch1');
    await join('b1', 'ch2');
    // A third channel: both players of ch1 (watched longest) go.
    const third = await join('c1', 'ch3');
    expect(third).toEqual({
      admitted: true,
      evicted: expect.arrayContaining([
        { connection: 'a1', stream: 'ch1' },
        { connection: 'a2', stream: 'ch1' },
      ]),
    });
    expect(third.admitted && third.evicted).toHaveLength(2);
    await join('c2', 'ch3');
    // A fourth connection on a channel already watched: only the oldest connection goes.
    expect(await join('c3', 'ch3')).toEqual({ admitted: true, evicted: [{ connection: 'b1', stream: 'ch2' }] });
    expect((await store.connections('alice')).map((c) => c.connection).sort()).toEqual(['c1', 'c2', 'c3']);
  });

  it("lets a dead worker's entries lapse, and keeps a live worker's through its refresh", async () => {
    const short = (connection: string, stream: string) =>
      store.admit({ user: 'alice', limits: limits(2, 0), connection, stream, ttlMs: 400 });
    await short('dead', 'ch1');
    await short('alive', 'ch2');
    expect((await short('new', 'ch3')).admitted).toBe(false);
    await waitFor(
      async () => {
        await store.refresh([{ user: 'alice', connection: 'alive', ttlMs: 400 }]);
        return (await store.connections('alice')).map((c) => c.connection).join() === 'alive';
      },
      { what: "the dead worker's entry to lapse while the refreshed one stays", timeoutMs: 3000 },
    );
    expect((await short('new', 'ch3')).admitted).toBe(true);
  });

  it('tells a refreshing worker which of its players were ended (evicted, cut) and which merely vanished', async () => {
    const join = (connection: string, stream: string) =>
      store.admit({ user: 'alice', limits: limits(1, 0, 'oldest'), connection, stream, ttlMs: TTL });
    await join('tv', 'ch1');
    await join('phone', 'ch2');
    await join('radio', 'ch2');
    const refresh = (...connections: string[]) =>
      store.refresh(connections.map((connection) => ({ user: 'alice', connection, ttlMs: TTL })));
    expect(await refresh('tv', 'phone')).toEqual({ ended: ['tv'], missing: [] });
    await store.end('alice', 'phone', TTL);
    await store.release('alice', 'radio');
    expect(await refresh('phone', 'radio', 'tv')).toEqual({ ended: ['phone', 'tv'], missing: ['radio'] });
  });
});

describe('MemoryAdmissionStore', () => {
  it("forgets every user's ended players once they are no longer remembered, whoever ends or refreshes next", async () => {
    let now = 0;
    const store = new MemoryAdmissionStore(() => now);
    for (const user of ['alice', 'bob']) {
      await store.admit({ user, limits: limits(0, 0), connection: `${user}-tv`, stream: 'ch1', ttlMs: TTL });
      await store.end(user, `${user}-tv`, 1000);
    }
    expect(store.remembered).toBe(2);
    now += 1000;
    // A refresh of players of neither user: what they ended is forgotten all the same.
    expect(await store.refresh([])).toEqual({ ended: [], missing: [] });
    expect(store.remembered).toBe(0);
    expect(store.size).toBe(0);
    // An end by one user forgets another's lapsed ones too.
    await store.end('alice', 'alice-phone', 1000);
    now += 1000;
    await store.end('bob', 'bob-phone', 1000);
    expect(store.remembered).toBe(1);
  });
});
