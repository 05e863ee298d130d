import { Writable } from 'node:stream';
import { MemoryChunkStore } from '@acestream-proxy/buffer';
import { parseStreamId } from '@acestream-proxy/keys';
import { StreamFanout, silentLogger, WorkerStats } from '@acestream-proxy/stream';
import { waitFor, waitForSteady } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';

const id = parseStreamId('1234567890abcdef1234567890abcdef12345678');

/** A chunk of `packets` TS packets whose payload bytes all equal `tag`. */
function chunk(tag: number, packets = 4): Buffer {
  const out = Buffer.alloc(packets * 188, tag);
  for (let p = 0; p < packets; p++) {
    out[p * 188] = 0x47;
    out[p * 188 + 1] = 0x01; // PID 0x100, not the null PID
    out[p * 188 + 2] = 0x00;
    out[p * 188 + 3] = 0x10;
  }
  return out;
}

/** A socket stand-in whose reading side can stall, so write() really returns false. */
class Sink extends Writable {
  received: Buffer[] = [];
  /** Date.now() of each write, in order. */
  writtenAt: number[] = [];
  private stalled = false;
  private pending: Array<() => void> = [];
  constructor() {
    super({ highWaterMark: 1024 });
  }
  override _write(data: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received.push(data);
    this.writtenAt.push(Date.now());
    if (this.stalled) this.pending.push(done);
    else done();
  }
  stall(): void {
    this.stalled = true;
  }
  flowAgain(): void {
    this.stalled = false;
    for (const done of this.pending.splice(0)) done();
  }
  tags(): number[] {
    return this.received.filter((b) => b[1] !== 0x1f).map((b) => b[5]!);
  }
}

const settings = {
  behindChunks: 2,
  cacheChunks: 6,
  keepaliveIntervalMs: 50,
  maxSkips: 2,
  maxFetch: 100,
  entryWaitChunks: 1,
  keepaliveCapMs: 60_000,
};
let fanout: StreamFanout | null = null;
let stats = new WorkerStats();
afterEach(async () => {
  stats = new WorkerStats();
  await fanout?.close();
  fanout = null;
});

async function appendAll(store: MemoryChunkStore, tags: number[]): Promise<void> {
  for (const tag of tags) expect(await store.append(id, (await store.lastIndex(id)) + 1, chunk(tag))).toBe('ok');
}

describe('StreamFanout', () => {
  it('starts a joining client the configured number of chunks behind the live edge', async () => {
    const store = new MemoryChunkStore(60);
    await appendAll(store, [1, 2, 3, 4, 5]);
    fanout = new StreamFanout(id, store, settings, silentLogger, stats);
    await fanout.open();
    const sink = new Sink();
    fanout.add('c1', sink);
    expect(sink.tags()).toEqual([4, 5]);
    await appendAll(store, [6]);
    await waitFor(() => sink.tags().includes(6), { what: 'chunk 6' });
    expect(sink.tags()).toEqual([4, 5, 6]);
  });

  it('writes the same Buffer object to every client (no per-client copies)', async () => {
    const store = new MemoryChunkStore(60);
    fanout = new StreamFanout(id, store, settings, silentLogger, stats);
    await fanout.open();
    const a = new Sink();
    const b = new Sink();
    fanout.add('a', a);
    fanout.add('b', b);
    await appendAll(store, [7]);
    await waitFor(() => a.tags().includes(7) && b.tags().includes(7), {
      what: 'both clients to get chunk 7',
    });
    const fromA = a.received.find((x) => x[5] === 7);
    const fromB = b.received.find((x) => x[5] === 7);
    expect(fromA).toBe(fromB);
    // The worker's byte counter counts what each client was written.
    const written = (sink: Sink) => sink.received.reduce((n, x) => n + x.length, 0);
    expect(stats.bytesSent).toBe(written(a) + written(b));
  });

  it('a stalled client does not hold back the others, and jumps to the live edge when it resumes', async () => {
    const store = new MemoryChunkStore(60);
    fanout = new StreamFanout(id, store, settings, silentLogger, stats);
    await fanout.open();
    const slow = new Sink();
    const fast = new Sink();
    const slowClient = fanout.add('slow', slow);
    fanout.add('fast', fast);
    slow.stall();
    const tags = Array.from({ length: 12 }, (_, i) => 10 + i);
    await appendAll(store, tags);
    await waitFor(() => fast.tags().includes(21), { what: 'the fast client to get every chunk' });
    expect(fast.tags().filter((t) => t >= 10)).toEqual(tags);
    expect(slowClient.blocked).toBe(true);
    slow.flowAgain();
    await appendAll(store, [22]);
    await waitFor(() => slow.tags().includes(22), { what: 'the slow client to reach the live edge' });
    expect(slowClient.skips).toBe(1);
    expect(stats.clientSkips).toBe(1);
    expect(stats.clientsDropped).toBe(0);
    // It skipped what fell out of the cache instead of replaying it.
    expect(slow.tags().length).toBeLessThan(fast.tags().length);
  });

  it('stops padding a silence longer than the keepalive cap', async () => {
    const store = new MemoryChunkStore(60);
    const capMs = 400;
    fanout = new StreamFanout(id, store, { ...settings, keepaliveCapMs: capMs }, silentLogger, stats);
    // The fanout's silence began when it was made: no later than this.
    const silenceFrom = Date.now();
    await fanout.open();
    const sink = new Sink();
    fanout.add('c', sink);
    // Keepalives come every 50 ms, then stop: the count settles.
    const last = await waitForSteady(() => sink.received.length, {
      what: 'keepalives to stop',
      intervalMs: 300,
      timeoutMs: 5000,
    });
    expect(last).toBeGreaterThanOrEqual(1);
    // However late the timers ran, none went out once the silence was past the cap (+1: the
    // sink's clock reading comes a moment after the fanout's, and may fall in the next ms).
    for (const at of sink.writtenAt) expect(at - silenceFrom).toBeLessThanOrEqual(capMs + 1);
  });

  it('sends keepalive null packets while no chunk arrives, and none inside chunks', async () => {
    const store = new MemoryChunkStore(60);
    fanout = new StreamFanout(id, store, settings, silentLogger, stats);
    await fanout.open();
    const sink = new Sink();
    fanout.add('c', sink);
    await waitFor(() => sink.received.filter((b) => b[1] === 0x1f).length >= 3, { what: 'three keepalives' });
    for (const write of sink.received) {
      expect(write.length % 188).toBe(0);
      const pid = ((write[1]! & 0x1f) << 8) | write[2]!;
      expect(pid).toBe(0x1fff);
    }
  });
});

/** A PAT naming PMT PID 0x1000, then a PMT: what a joiner must be sent first. */
function psiChunk(): Buffer {
  const pat = Buffer.alloc(188, 0xff);
  Buffer.from([0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0, 0, 0x00, 0x01, 0xf0, 0x00, 1, 2, 3, 4]).copy(
    pat,
  );
  const pmt = Buffer.alloc(188, 0xff);
  Buffer.from([0x47, 0x50, 0x00, 0x10, 0x00, 0x02, 0xb0, 0x12]).copy(pmt);
  return Buffer.concat([pat, pmt]);
}

/** A video chunk whose packet `raiAt` (if any) is a random access point. */
function videoChunk(tag: number, raiAt = -1, packets = 4): Buffer {
  const out = chunk(tag, packets);
  if (raiAt >= 0) {
    const p = raiAt * 188;
    out[p + 1] = 0x41; // payload unit start, PID 0x100
    out[p + 3] = 0x30; // adaptation field + payload
    out[p + 4] = 1;
    out[p + 5] = 0x40; // random_access_indicator
    Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0]).copy(out, p + 6); // a video PES header
  }
  return out;
}

describe('StreamFanout clean joins', () => {
  it('starts a joiner with PAT+PMT, then the random access point, as a view of the cached chunk', async () => {
    const store = new MemoryChunkStore(60);
    const withRai = videoChunk(3, 2);
    for (const c of [videoChunk(1), psiChunk(), videoChunk(2), withRai, videoChunk(4)]) {
      await store.append(id, (await store.lastIndex(id)) + 1, c);
    }
    fanout = new StreamFanout(
      id,
      store,
      { ...settings, behindChunks: 1, cacheChunks: 10, entryWaitChunks: 3 },
      silentLogger,
      stats,
    );
    await fanout.open();
    const sink = new Sink();
    fanout.add('c', sink);
    await waitFor(() => sink.received.length >= 3, { what: 'header, entry and backlog' });
    const [header, entry, next] = sink.received;
    expect(header!.length).toBe(376);
    expect(((header![1]! & 0x1f) << 8) | header![2]!).toBe(0);
    expect(header![5]! & 0x80).toBe(0x80); // discontinuity indicator on the inserted PSI
    expect(entry!.length).toBe(2 * 188);
    expect(entry![5]! & 0x40).toBe(0x40);
    expect(entry!.buffer).toBe(withRai.buffer); // zero-copy view of the cached chunk
    expect(next![5]).toBe(4);
  });

  it('makes a client that joined before any picture wait for the first random access point', async () => {
    const store = new MemoryChunkStore(60);
    fanout = new StreamFanout(id, store, { ...settings, entryWaitChunks: 10 }, silentLogger, stats);
    await fanout.open();
    const sink = new Sink();
    fanout.add('early', sink);
    await appendAll(store, [1, 2]);
    await store.append(id, 3, psiChunk());
    await store.append(id, 4, videoChunk(9, 1));
    await waitFor(() => sink.received.some((b) => b.length === 3 * 188), { what: 'the entry chunk' });
    const data = sink.received.filter((b) => b[1] !== 0x1f);
    expect(data.map((b) => b.length)).toEqual([376, 3 * 188]);
  });

  it('delivers the last announced chunk even when it arrives during a fetch', async () => {
    const store = new MemoryChunkStore(60);
    fanout = new StreamFanout(id, store, settings, silentLogger, stats);
    await fanout.open();
    const sink = new Sink();
    fanout.add('c', sink);
    for (let n = 1; n <= 20; n++) void store.append(id, n, chunk(n));
    await waitFor(() => sink.tags().includes(20), { what: 'the last chunk' });
    expect(fanout.newestIndex).toBe(20);
  });
});
