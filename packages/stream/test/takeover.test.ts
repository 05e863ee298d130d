// The takeover watch: a stream whose owner is gone is claimed and started here; one whose owner lives is left alone.

import { MemoryChunkStore } from '@acestream-proxy/buffer';
import { MemoryClientRegistry } from '@acestream-proxy/clients';
import { MemoryEventBus, MemoryOwnerElection, MemoryWorkerPresence } from '@acestream-proxy/coordination';
import { MemoryEngineLoad, StaticEngineSource } from '@acestream-proxy/engine';
import { type EngineSim, startEngineSim } from '@acestream-proxy/engine-sim';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import { NoopEventQueue } from '@acestream-proxy/orchestrator';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ORPHAN_ROUNDS, TakeoverWatch } from '../src/cluster/takeover.js';
import { type LifecycleEvent, StreamEvents } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import { MemoryMetadataStore } from '../src/metadata.js';
import { OwnerRole } from '../src/owner/owner-role.js';
import { WorkerStats } from '../src/stats.js';

const id = parseStreamId('d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4');

let engine: EngineSim;
let owner: OwnerRole;
let watch: TakeoverWatch;
let election: MemoryOwnerElection;
let presence: MemoryWorkerPresence;
let metadata: MemoryMetadataStore;
let events: LifecycleEvent[];
let stats: WorkerStats;
let closed: StreamId[];

beforeEach(async () => {
  engine = await startEngineSim({ port: 0 });
  election = new MemoryOwnerElection(10_000);
  presence = new MemoryWorkerPresence();
  metadata = new MemoryMetadataStore();
  stats = new WorkerStats();
  events = [];
  closed = [];
  const lifecycle = new StreamEvents(silentLogger);
  lifecycle.on((e) => events.push(e));
  owner = new OwnerRole({
    workerId: 'w2',
    store: new MemoryChunkStore(60),
    metadata,
    registry: new MemoryClientRegistry(),
    election,
    bus: new MemoryEventBus(),
    presence,
    engines: new StaticEngineSource([{ host: engine.host, port: engine.port }]),
    engineApiTimeoutMs: 2000,
    engineLoad: new MemoryEngineLoad(),
    engineMaxStreams: 5,
    events: new NoopEventQueue(),
    stream: {
      bufferChunkSize: 188 * 100,
      flushIntervalMs: 50,
      initTimeoutMs: 2000,
      noDataTimeoutMs: 2000,
      readChunkSize: 65_536,
      maxRetries: 1,
      reconnectBackoffMs: 20,
      statIntervalMs: 5000,
      bufferTtlMs: 60_000,
    },
    gracePeriodSeconds: 5,
    logger: silentLogger,
    stats,
    lifecycle,
    onOwnershipLost: () => {},
    onStopped: () => {},
  });
  watch = new TakeoverWatch({
    workerId: 'w2',
    election,
    presence,
    metadata,
    owner,
    stats,
    lifecycle,
    logger: silentLogger,
    served: { serves: () => true, fanout: async () => null, close: async (s) => void closed.push(s) },
  });
});

afterEach(async () => {
  watch.close();
  for (const s of owner.streams()) await owner.stop(s.id, 'stopped', 'test over');
  await owner.close();
  await engine.close();
});

describe('takeover watch', () => {
  it('takes over a stream whose owner is dead: a newer epoch, an engine session here, an owner_takeover event', async () => {
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await watch.check(id);
    expect(owner.owns(id)).toBe(true);
    expect(await election.owner(id)).toBe('w2');
    expect(stats.takeovers).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['owner_takeover', 'stream_started']);
    expect(events[0]).toEqual({ type: 'owner_takeover', stream_id: id, previous_owner: 'w1', epoch: 2 });
    await waitFor(async () => (await metadata.get(id))?.state === 'active', { what: 'the taken-over stream to be active' });
    expect((await metadata.get(id))?.owner).toBe('w2');
    expect(engine.stats().active).toBe(1);
  });

  it('leaves a stream whose owner is alive alone', async () => {
    await presence.beat('w1');
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await watch.check(id);
    expect(owner.owns(id)).toBe(false);
    expect(events).toEqual([]);
    expect(engine.stats().started).toBe(0);
  });

  it('takes over at once from a worker announced dead, even before its heartbeat lapses', async () => {
    await presence.beat('w1');
    await election.claim(id, 'w1');
    await metadata.update(id, { state: 'active', owner: 'w1' });
    await watch.check(id, 'w1');
    expect(owner.owns(id)).toBe(true);
  });

  it(`closes a stream with neither owner nor metadata after ${ORPHAN_ROUNDS} checks, not before`, async () => {
    for (let n = 1; n < ORPHAN_ROUNDS; n++) await watch.check(id);
    expect(closed).toEqual([]);
    await watch.check(id);
    expect(closed).toEqual([id]);
    expect(owner.owns(id)).toBe(false);
  });
});
