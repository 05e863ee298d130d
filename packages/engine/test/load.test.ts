// EngineLoad contract (streams per engine, start claims), run against memory, one Redis and a Redis Cluster.

import { type EngineLoad, MemoryEngineLoad, RedisEngineLoad } from '@acestream-proxy/engine';
import { backendSuite } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const engines = ['10.0.0.1:6878', '10.0.0.2:6878', '10.0.0.3:6878'];

backendSuite('EngineLoad', (backend) => {
  let load: EngineLoad;
  beforeAll(async () => {
    load = backend.kind === 'memory' ? new MemoryEngineLoad() : new RedisEngineLoad(await backend.connect(), backend.keys);
  });
  afterAll(async () => {
    for (const e of engines) for (const s of ['s1', 's2', 's3']) await load.remove(e, s);
    expect(await backend.leftovers()).toEqual([]);
  });

  it('counts streams per engine, read for several engines at once', async () => {
    await load.add(engines[0]!, 's1');
    await load.add(engines[0]!, 's2');
    await load.add(engines[2]!, 's3');
    expect(Object.fromEntries(await load.counts(engines))).toEqual({
      [engines[0]!]: 2,
      [engines[1]!]: 0,
      [engines[2]!]: 1,
    });
    await load.remove(engines[0]!, 's1');
    expect((await load.counts(engines)).get(engines[0]!)).toBe(1);
  });

  it('counts a start claim as one more stream until the stream is added', async () => {
    await load.claim(engines[1]!, 10_000);
    expect((await load.counts(engines)).get(engines[1]!)).toBe(1);
    await load.add(engines[1]!, 's1');
    expect((await load.counts(engines)).get(engines[1]!)).toBe(1);
  });
});
