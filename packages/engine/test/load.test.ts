// EngineLoad contract (atomic slot reservation per engine), run against memory, one Redis and a Redis Cluster.

import { type EngineLoad, MemoryEngineLoad, RedisEngineLoad, type SlotCandidate } from '@acestream-proxy/engine';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterEach, beforeAll, expect, it } from '@jest/globals';

const [A, B] = ['10.0.0.1:6878', '10.0.0.2:6878'] as const;
const slot = (engineId: string, outside: string[] = []): SlotCandidate => ({ engineId, outside });
const TTL = 10_000;
const streamIds = Array.from({ length: 20 }, (_, i) => `s${i}`);

backendSuite('EngineLoad', (backend) => {
  /** Several handles on the same store (one per connection for Redis): racing workers. */
  let loads: EngineLoad[];
  let load: EngineLoad;
  /** Nothing is held: no key in Redis, an empty twin. */
  const empty = async () =>
    backend.kind === 'memory' ? (load as MemoryEngineLoad).size === 0 : (await backend.leftovers()).length === 0;
  beforeAll(async () => {
    loads =
      backend.kind === 'memory'
        ? [new MemoryEngineLoad()]
        : await Promise.all([0, 1, 2, 3].map(async () => new RedisEngineLoad(await backend.connect(), backend.keys)));
    load = loads[0]!;
  });
  afterEach(async () => {
    for (const id of [...streamIds, 'x', 'y']) await load.remove([A, B], id);
    expect(await empty()).toBe(true);
  });

  it('grants exactly ENGINE_MAX_STREAMS of 20 simultaneous reservations from racing workers', async () => {
    const results = await Promise.all(streamIds.map((id, i) => loads[i % loads.length]!.reserve(id, [slot(A)], 3, TTL)));
    expect(results.filter((r) => r.engineId === A)).toHaveLength(3);
    expect(results.filter((r) => r.engineId === null)).toHaveLength(17);
    // Members and pending starts count alike: still full once the three run.
    for (const [i, r] of results.entries()) if (r.engineId) await load.add(A, streamIds[i]!, [A, B]);
    expect((await load.reserve('x', [slot(A)], 3, TTL)).engineId).toBeNull();
  });

  it('takes the least loaded engine, the first candidate on equal load', async () => {
    await load.add(A, 's1', []);
    expect((await load.reserve('x', [slot(A), slot(B)], 3, TTL)).engineId).toBe(B);
    const tie = await load.reserve('y', [slot(B), slot(A)], 3, TTL);
    expect(tie.engineId).toBe(B);
    expect(Object.fromEntries(tie.loads)).toEqual({ [A]: 1, [B]: 1 });
  });

  it("counts the orchestrator's streams on an engine, this cluster's own only once", async () => {
    await load.add(A, 's1', []);
    await load.reserve('s2', [slot(A)], 3, TTL);
    // s1 and s2 are ours (running, starting); 'other' and an unkeyed stream are another proxy's.
    const full = await load.reserve('x', [slot(A, ['s1', 's2', 'other', ''])], 4, TTL);
    expect(full.engineId).toBeNull();
    expect(full.loads.get(A)).toBe(4);
    expect((await load.reserve('x', [slot(A, ['s1', 's2', 'other'])], 4, TTL)).engineId).toBe(A);
  });

  it('lets a stream that holds a slot keep it without taking another (a takeover, an engine switch)', async () => {
    for (const id of ['s1', 's2', 's3']) await load.add(A, id, []);
    const again = await load.reserve('s1', [slot(A)], 3, TTL);
    expect(again.engineId).toBe(A);
    expect(again.loads.get(A)).toBe(3);
    // Moving s1 to B: one slot on B, none left on A.
    expect((await load.reserve('s1', [slot(B)], 3, TTL)).engineId).toBe(B);
    await load.add(B, 's1', [A, B]);
    const after = await load.reserve('x', [slot(A), slot(B)], 3, TTL);
    expect(Object.fromEntries(after.loads)).toEqual({ [A]: 2, [B]: 1 });
  });

  it('frees the slot of a start that never finished once its reservation lapses', async () => {
    expect((await load.reserve('s1', [slot(A)], 1, 200)).engineId).toBe(A);
    expect((await load.reserve('x', [slot(A)], 1, TTL)).engineId).toBeNull();
    await waitFor(async () => (await load.reserve('x', [slot(A)], 1, TTL)).engineId === A, {
      what: 'the lapsed reservation to free its slot',
      timeoutMs: 3000,
    });
  });

  it('leaves nothing behind once a refused or failed start frees its reservation', async () => {
    await load.reserve('s1', [slot(A), slot(B)], 3, TTL);
    await load.remove([A, B], 's1');
    expect(await empty()).toBe(true);
  });
});
