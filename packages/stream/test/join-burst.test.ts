// A flash crowd of joiners: the join burst budget, and catch-up writes of several chunks at once.
import { Writable } from 'node:stream';
import { MemoryChunkStore } from '@acestream-proxy/buffer';
import { parseStreamId } from '@acestream-proxy/keys';
import { type FanoutSettings, StreamEvents, StreamFanout, silentLogger, WorkerStats } from '@acestream-proxy/stream';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';

const id = parseStreamId('14141414141414141414141414141414141414ab');
const PACKETS = 10;
const CHUNK = PACKETS * 188;

/** A video chunk tagged `tag`; with `picture`, its first packet is a random access point. */
function chunk(tag: number, picture = false): Buffer {
  const out = Buffer.alloc(CHUNK, tag);
  for (let p = 0; p < PACKETS; p++) out.set([0x47, 0x01, 0x00, 0x10], p * 188);
  if (picture) {
    out.set([0x47, 0x41, 0x00, 0x30, 1, 0x40], 0); // PUSI, adaptation field with random_access_indicator
    out.set([0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0], 6); // a video PES header
  }
  return out;
}

/** A player: records what it is written; stalled, it takes nothing, so its backlog stays owed. */
class Player extends Writable {
  received: Buffer[] = [];
  corks = 0;
  private stalled: boolean;
  private pending: Array<() => void> = [];
  constructor({ stalled = false, highWaterMark = 1 } = {}) {
    super({ highWaterMark });
    this.stalled = stalled;
  }
  override _write(data: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received.push(data);
    if (this.stalled) this.pending.push(done);
    else done();
  }
  override cork(): void {
    this.corks++;
    super.cork();
  }
  flowAgain(): void {
    this.stalled = false;
    for (const done of this.pending.splice(0)) done();
  }
  /** Tags of the data chunks received (keepalive null packets left out). */
  tags(): number[] {
    return this.received.filter((b) => b[1] !== 0x1f).map((b) => b[b.length - 1]!);
  }
}

const base: FanoutSettings = {
  behindChunks: 6,
  cacheChunks: 12,
  keepaliveIntervalMs: 10_000,
  keepaliveCapMs: 60_000,
  maxSkips: 5,
  maxFetch: 100,
  entryWaitChunks: 2,
};
let fanout: StreamFanout | null = null;
afterEach(async () => {
  await fanout?.close();
  fanout = null;
});

/** Chunks 1..8 with pictures at 2 and 6: a joiner's normal start is chunk 2 (7 chunks of backlog), the newest picture chunk 6 (3). */
async function channel(settings: Partial<FanoutSettings>, stats: WorkerStats): Promise<MemoryChunkStore> {
  const store = new MemoryChunkStore(60);
  for (let n = 1; n <= 8; n++) await store.append(id, n, chunk(n, n === 2 || n === 6));
  fanout = new StreamFanout(id, store, { ...base, ...settings }, silentLogger, stats);
  await fanout.open();
  return store;
}

describe('join burst budget', () => {
  it('gives joiners the full backlog while it fits, then the newest picture, then the next picture; watchers never wait', async () => {
    const stats = new WorkerStats();
    // A joiner is owed its whole backlog, less each chunk it takes (a stalled one takes one): the
    // first owes 7 then 6 chunks; the second fits only at the newest picture (6 + 3 <= 9.5), then
    // owes 2; the third fits nowhere (8 + 3 > 9.5).
    const store = await channel({ joinBacklogBudget: 9.5 * CHUNK }, stats);
    const watcher = new Player({ highWaterMark: 1 << 20 });
    fanout!.add('watcher', watcher);
    const first = new Player({ stalled: true });
    const second = new Player({ stalled: true });
    const third = new Player({ stalled: true });
    fanout!.add('first', first);
    fanout!.add('second', second);
    fanout!.add('third', third);
    expect(first.tags()).toEqual([2]);
    expect(second.tags()).toEqual([6]);
    expect(third.tags()).toEqual([]); // null packets only, until the next picture
    expect(third.received.length).toBe(1);
    expect(stats.joinsTrimmed).toBe(2);
    expect(fanout!.owedBacklog).toBe(6 * CHUNK + 2 * CHUNK);

    await store.append(id, 9, chunk(9));
    await store.append(id, 10, chunk(10, true));
    await waitFor(() => watcher.tags().includes(10), { what: 'the watcher to get chunk 10' });
    expect(watcher.tags()).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);

    for (const p of [first, second, third]) p.flowAgain();
    await waitFor(() => [first, second, third].every((p) => p.tags().includes(10)), { what: 'the joiners to catch up' });
    expect(first.tags()).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(second.tags()).toEqual([6, 7, 8, 9, 10]);
    // The third started on the picture that arrived, with no backlog.
    expect(third.tags()).toEqual([10]);
    expect(fanout!.owedBacklog).toBe(0);

    // Paid off: the next joiner gets the full backlog again (9 chunks, from the picture at 2).
    const fourth = new Player({ stalled: true });
    fanout!.add('fourth', fourth);
    expect(fourth.tags()).toEqual([2]);
    expect(stats.joinsTrimmed).toBe(2);
  });

  it('gives a joiner the full backlog when nothing is owed, even over the budget', async () => {
    const stats = new WorkerStats();
    // 2 chunks of budget, 6 owed by a joiner from the picture at 2: alone, it gets them all.
    await channel({ joinBacklogBudget: 2 * CHUNK }, stats);
    const alone = new Player({ stalled: true });
    fanout!.add('alone', alone);
    expect(alone.tags()).toEqual([2]);
    expect(stats.joinsTrimmed).toBe(0);
    // One at the same moment is over it: the newest picture does not fit either, it waits.
    const next = new Player({ stalled: true });
    fanout!.add('next', next);
    expect(next.tags()).toEqual([]);
    expect(stats.joinsTrimmed).toBe(1);
  });

  it('forgets what a joiner that leaves was owed', async () => {
    const stats = new WorkerStats();
    await channel({ joinBacklogBudget: 7 * CHUNK }, stats);
    const leaving = new Player({ stalled: true });
    const client = fanout!.add('leaving', leaving);
    expect(fanout!.owedBacklog).toBe(6 * CHUNK);
    fanout!.remove(client);
    expect(fanout!.owedBacklog).toBe(0);
    const next = new Player({ stalled: true });
    fanout!.add('next', next);
    expect(next.tags()).toEqual([2]);
    expect(stats.joinsTrimmed).toBe(0);
  });
});

describe('a stalled joiner dropped', () => {
  it('is no longer owed its backlog: the next joiners get their full backlog', async () => {
    const stats = new WorkerStats();
    const dropped: string[] = [];
    const store = new MemoryChunkStore(60);
    for (let n = 1; n <= 8; n++) await store.append(id, n, chunk(n, n === 2 || n === 6));
    // The stall check runs on the keepalive timer: short here, so the stuck joiner goes soon.
    const settings = { ...base, joinBacklogBudget: 7 * CHUNK, keepaliveIntervalMs: 20, stallTimeoutMs: 60 };
    const events = new StreamEvents(silentLogger);
    events.on((e) => {
      if (e.type === 'player_dropped') dropped.push(`${e.client_id} ${e.reason}`);
    });
    fanout = new StreamFanout(id, store, settings, silentLogger, stats, events);
    await fanout.open();
    const stuck = new Player({ stalled: true });
    fanout.add('stuck', stuck);
    expect(fanout.owedBacklog).toBe(6 * CHUNK);
    await waitFor(() => dropped.length > 0, { what: 'the stuck joiner to be dropped for stalling' });
    expect(dropped).toEqual(['stuck stalled']);
    expect(stuck.destroyed).toBe(true);
    expect(fanout.owedBacklog).toBe(0);
    // Its 6 chunks no longer count: the next joiner fits whole (with them, 12 > 7 it was trimmed).
    const next = new Player({ stalled: true });
    fanout.add('next', next);
    expect(next.tags()).toEqual([2]);
    expect(stats.joinsTrimmed).toBe(0);
  });
});

describe('catch-up writes', () => {
  it('writes a joiner its whole backlog in one corked go when it fits under catchUpWriteBytes', async () => {
    await channel({ catchUpWriteBytes: 64 * 1024 }, new WorkerStats());
    const player = new Player();
    fanout!.add('p', player);
    // Synchronously, before any drain: every backlog chunk, between one cork and uncork.
    expect(player.tags()).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(player.corks).toBe(1);
  });

  it('a player whose socket keeps what it was written waits for a drain before the next chunk', async () => {
    await channel({ catchUpWriteBytes: CHUNK }, new WorkerStats());
    const player = new Player({ stalled: true });
    const client = fanout!.add('p', player);
    expect(player.tags()).toEqual([2]);
    expect(client.blocked).toBe(true);
    player.flowAgain();
    await waitFor(() => player.tags().length === 7, { what: 'the rest of the backlog' });
  });
});
