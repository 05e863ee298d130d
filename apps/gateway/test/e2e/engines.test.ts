// Engines end to end: selection by load, a full pool, and moving a stalled stream to another engine.

import net from 'node:net';
import {
  capture,
  ffprobe,
  getJson,
  type Stack,
  type StartedProcess,
  setFault,
  simSessions,
  startGateway,
  startSim,
  startStack,
  stopAll,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withoutNullPackets } from './helpers.js';

describe('two engines behind a two-worker gateway', () => {
  let t: Stack;
  let one: StartedProcess;
  let two: StartedProcess;
  let gateway: StartedProcess;

  beforeAll(async () => {
    t = await startStack({
      label: 'engines',
      sims: 2,
      workers: 2,
      // The engine's stats polled every 0.5 s instead of 5 s (the peers test waits for them).
      env: { ENGINE_MAX_STREAMS: '1', PROXY_NO_DATA_TIMEOUT: '1', PROXY_MAX_RETRIES: '1', PROXY_STAT_INTERVAL_MS: '500' },
    });
    [one, two] = t.sims as [StartedProcess, StartedProcess];
    gateway = t.gateway;
  });
  afterAll(() => t.stop());

  const enginePort = async (id: string) => Number(await t.redis.hget(`${t.prefix}:stream:${id}:metadata`, 'engine_port'));

  it('puts each stream on the least loaded engine, and answers 503 when every engine is full', async () => {
    const [a, b, c] = ['a1', 'b2', 'c3'].map((x) => x.repeat(20));
    const pa = await capture(`${gateway.url}/ace/getstream?id=${a}`);
    const pb = await capture(`${gateway.url}/ace/getstream?id=${b}`);
    await Promise.all([pa.waitForBytes(50_000), pb.waitForBytes(50_000)]);
    expect(new Set([await enginePort(a!), await enginePort(b!)])).toEqual(new Set([one.port, two.port]));

    const full = await fetch(`${gateway.url}/ace/getstream?id=${c}`);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    const body = (await full.json()) as { error: string; message: string };
    expect(body.error).toBe('no_engine_available');
    expect(body.message).toContain('ENGINE_MAX_STREAMS=1');

    pa.close();
    await waitFor(async () => (await t.redis.exists(`${t.prefix}:stream:${a}:metadata`)) === 0, { what: 'stream a to stop' });
    const pc = await capture(`${gateway.url}/ace/getstream?id=${c}`);
    expect(pc.status).toBe(200);
    await pc.waitForBytes(50_000);
    // The owner polls the engine's stat_url (every PROXY_STAT_INTERVAL_MS) into the metadata.
    await waitFor(async () => (await t.redis.hget(`${t.prefix}:stream:${c}:metadata`, 'peers')) === '12', {
      what: 'peers from the engine stats',
      timeoutMs: 8000,
    });
    pb.close();
    pc.close();
    await waitFor(async () => (await simSessions(one)).active + (await simSessions(two)).active === 0, {
      what: 'all sessions to stop',
    });
  });

  it('moves a stream whose engine stalls to the other engine; players keep a valid stream', async () => {
    const id = 'd4'.repeat(20);
    // Both engines are idle, so the stream goes to the first configured one, where every
    // session of this id stalls after 1 s.
    const [stalling, healthy] = [one, two];
    await setFault(stalling, id, { stall_after_s: 1 });
    const player = await capture(`${gateway.url}/ace/getstream?id=${id}`);
    await player.waitForBytes(20_000);
    expect(await enginePort(id)).toBe(stalling.port);
    const other = await capture(`${gateway.url}/ace/getstream?id=${id}`);
    await waitFor(async () => (await enginePort(id)) === healthy.port, { what: 'the stream to move engines', timeoutMs: 20_000 });
    const moved = withoutNullPackets(player.bytes()).length;
    await player.waitForBytes(player.length + 300_000, 10_000);
    expect(withoutNullPackets(player.bytes()).length).toBeGreaterThan(moved + 250_000);
    expect(player.ended).toBe(false);
    expect(other.ended).toBe(false);
    player.close();
    other.close();

    const probe = await ffprobe(player.bytes());
    expect(probe.programs.length).toBeGreaterThanOrEqual(1);
    expect(probe.streams.some((s) => s.codec_type === 'video')).toBe(true);
    // The stalled engine's session was stopped, not left running.
    expect((await simSessions(stalling)).active).toBe(0);
    const { body } = await getJson<{ state: string }>(`${gateway.url}/proxy/streams/${id}`);
    expect(body.state).not.toBe('error');
  });
});

/** An engine address that accepts connections and resets them: what a crashed engine's host does. */
async function startDeadEngine(): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (data) => {
      requests.push(data.toString('latin1').split('\r\n')[0]!);
      socket.resetAndDestroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('an unreachable engine in ENGINES', () => {
  let dead: Awaited<ReturnType<typeof startDeadEngine>>;
  let sim: StartedProcess;
  let gateway: StartedProcess;

  beforeAll(async () => {
    dead = await startDeadEngine();
    sim = await startSim();
    // The dead engine comes first: on equal load it would be tried first. Its version is checked
    // every 0.5 s instead of 5 s.
    gateway = await startGateway(null, {
      ENGINES: `127.0.0.1:${dead.port},127.0.0.1:${sim.port}`,
      ENGINE_MAX_STREAMS: '5',
      ENGINE_CHECK_INTERVAL_MS: '500',
    });
  });
  afterAll(async () => {
    await stopAll(gateway, sim);
    await dead.close();
  });

  const getstreams = () => dead.requests.filter((r) => r.includes('/ace/getstream')).length;

  it('is tried once, then left out of new streams while its version check keeps failing', async () => {
    const first = await capture(`${gateway.url}/ace/getstream?id=${'d1'.repeat(20)}`);
    await first.waitForBytes(50_000);
    expect(getstreams()).toBe(1);
    // By load the dead engine (0 streams) now ranks above the live one (1): only its health
    // keeps the second stream off it.
    const second = await capture(`${gateway.url}/ace/getstream?id=${'d2'.repeat(20)}`);
    await second.waitForBytes(50_000);
    expect(getstreams()).toBe(1);
    expect((await simSessions(sim)).active).toBe(2);
    await waitFor(() => dead.requests.some((r) => r.includes('method=get_version')), {
      what: 'a version check of the dead engine',
      timeoutMs: 10_000,
    });
    expect(getstreams()).toBe(1);
    first.close();
    second.close();
  });
});
