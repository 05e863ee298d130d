// End to end: real engine-sim and gateway processes, real Redis, real sockets, ffprobe as the player.

import {
  type Capture,
  capture,
  ffprobe,
  getJson,
  type PrivateRedis,
  type Stack,
  type StartedProcess,
  setFault,
  simSessions,
  startPrivateRedis,
  startStack,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { overlap, withoutNullPackets } from './helpers.js';

const ID = `${'a'.repeat(8)}0123456789abcdef0123456789abcdef`;
const streamUrl = (gw: StartedProcess, id = ID, param = 'id') => `${gw.url}/ace/getstream?${param}=${id}`;

describe('three players on one channel share one engine session', () => {
  let t: Stack;
  let sim: StartedProcess;
  let gateway: StartedProcess;

  beforeAll(async () => {
    // The management API's key too: its test runs on this stack rather than on one of its own.
    t = await startStack({ label: 'e2e', env: { PROXY_API_KEY: 'let-me-in-let-me-in' } });
    ({ sim, gateway } = t);
  });

  afterAll(() => t.stop());

  // Every key a stream creates; the gateway's own worker heartbeat is not one.
  const streamKeys = async () => (await t.keys()).filter((k) => k.startsWith(`${t.prefix}:stream:`));

  it('serves identical bytes to all three through one engine session, then cleans up', async () => {
    const players = await Promise.all([capture(streamUrl(gateway)), capture(streamUrl(gateway)), capture(streamUrl(gateway))]);
    for (const p of players) {
      expect(p.status).toBe(200);
      expect(p.headers['content-type']).toBe('video/mp2t');
      expect(p.headers['content-length']).toBeUndefined();
      // The body runs until the connection closes: no chunked framing around every write.
      expect(p.headers['transfer-encoding']).toBeUndefined();
      expect(p.headers.connection).toBe('close');
    }
    await Promise.all(players.map((p) => p.waitForBytes(400_000, 15_000)));

    const sessions = await simSessions(sim);
    expect(sessions.started).toBe(1);
    expect(sessions.active).toBe(1);

    const members = await t.redis.smembers(`${t.prefix}:stream:${ID}:clients`);
    expect(members).toHaveLength(3);
    const record = await t.redis.hgetall(`${t.prefix}:stream:${ID}:clients:${members[0]}`);
    expect(record.worker_id).toMatch(/^.+:\d+$/);
    expect(Number(await t.redis.get(`${t.prefix}:stream:${ID}:buffer:index`))).toBeGreaterThan(0);

    const [a, b, c] = players.map((p) => withoutNullPackets(p.bytes()));
    for (const other of [b!, c!]) {
      const { equalBytes, comparedBytes } = overlap(a!, other);
      expect(comparedBytes).toBeGreaterThan(200_000);
      expect(equalBytes).toBe(comparedBytes);
    }

    const probe = await ffprobe(players[0]!.bytes());
    expect(probe.programs.length).toBeGreaterThanOrEqual(1);
    expect(probe.streams.some((s) => s.codec_type === 'video')).toBe(true);

    for (const p of players) p.close();
    await waitFor(async () => (await t.redis.exists(`${t.prefix}:stream:${ID}:metadata`)) === 0, {
      what: 'stream metadata to be deleted after the grace period',
    });
    // The claim and its epoch go last, after the metadata (owner-role teardown): waited for, not raced.
    await waitFor(async () => (await streamKeys()).length === 0, { what: 'every key of the stream to be deleted' });
    const after = await simSessions(sim);
    expect(after.active).toBe(0);
    expect(after.stop_reasons.command).toBe(1);
    expect(await streamKeys()).toEqual([]);
  });

  it('a client disconnecting mid-stream does not disturb the others', async () => {
    const id = 'b'.repeat(40);
    const [stay, leave] = await Promise.all([capture(streamUrl(gateway, id)), capture(streamUrl(gateway, id))]);
    await Promise.all([stay.waitForBytes(100_000), leave.waitForBytes(100_000)]);
    leave.close();
    await waitFor(async () => (await t.redis.scard(`${t.prefix}:stream:${id}:clients`)) === 1, {
      what: 'the closed client to leave the set',
    });
    const before = stay.length;
    await stay.waitForBytes(before + 250_000, 5_000);
    expect(stay.ended).toBe(false);
    expect((await simSessions(sim)).active).toBe(1);
    stay.close();
    await waitFor(async () => (await simSessions(sim)).active === 0, { what: 'the engine session to stop' });
  });

  it('accepts infohash= and content_id= as the id', async () => {
    const id = 'c'.repeat(40);
    const a = await capture(streamUrl(gateway, id.toUpperCase(), 'infohash'));
    const b = await capture(streamUrl(gateway, id, 'content_id'));
    await Promise.all([a.waitForBytes(50_000), b.waitForBytes(50_000)]);
    expect(await t.redis.scard(`${t.prefix}:stream:${id}:clients`)).toBe(2);
    a.close();
    b.close();
  });

  // GET /ace/getstream is served before Express (the flash-crowd path); these are what the app did.
  it('serves the path with a trailing slash, and records the address a loopback balancer forwards', async () => {
    const id = 'f'.repeat(40);
    const slash = await capture(`${gateway.url}/ace/getstream/?id=${id}`);
    const forwarded = await capture(streamUrl(gateway, id), { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' });
    await Promise.all([slash.waitForBytes(50_000), forwarded.waitForBytes(50_000)]);
    expect(slash.headers['content-type']).toBe('video/mp2t');
    const members = await t.redis.smembers(`${t.prefix}:stream:${id}:clients`);
    const ips = await Promise.all(members.map((m) => t.redis.hget(`${t.prefix}:stream:${id}:clients:${m}`, 'ip')));
    expect(ips.sort()).toEqual(['127.0.0.1', '203.0.113.7']);
    slash.close();
    forwarded.close();
  });

  it('takes the first of an id given twice, as the app did (a bad first one is a 400)', async () => {
    const { status, body } = await getJson<{ error: string }>(`${gateway.url}/ace/getstream?id=nope&id=${'b'.repeat(40)}`);
    expect(status).toBe(400);
    expect(body.error).toBe('bad_stream_id');
  });

  it('HEAD answers stream headers and opens no engine session', async () => {
    await waitFor(async () => (await simSessions(sim)).active === 0, { what: 'no active session' });
    const before = await simSessions(sim);
    const res = await fetch(streamUrl(gateway, 'd'.repeat(40)), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect((await simSessions(sim)).started).toBe(before.started);
    expect(await t.redis.exists(`${t.prefix}:stream:${'d'.repeat(40)}:metadata`)).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['39 characters', 'a'.repeat(39)],
    ['41 characters', 'a'.repeat(41)],
    ['non-hex', `${'a'.repeat(39)}z`],
    ['a glob', '*'],
    ['CRLF', `${'a'.repeat(38)}%0D%0A`],
    ['10 KB', 'a'.repeat(10_240)],
  ])('rejects a bad id (%s) with 400 JSON and creates no key', async (_name, id) => {
    await waitFor(async () => (await streamKeys()).length === 0, {
      what: 'no stream keys left from earlier tests',
    });
    const { status, body } = await getJson<{ error: string; message: string }>(streamUrl(gateway, id));
    expect(status).toBe(400);
    expect(body.error).toBe('bad_stream_id');
    expect(body.message).toMatch(/40 hexadecimal/);
    expect(await streamKeys()).toEqual([]);
  });

  it('answers 502 with the engine reason when the engine refuses, leaving nothing behind', async () => {
    const id = 'e'.repeat(40);
    await setFault(sim, id, { error: 'content not found on the network' });
    const { status, body } = await getJson<{ error: string; message: string }>(streamUrl(gateway, id));
    expect(status).toBe(502);
    expect(body.error).toBe('engine_refused');
    expect(body.message).toContain('content not found on the network');
    expect(await t.redis.exists(`${t.prefix}:stream:${id}:metadata`)).toBe(0);
    expect(await t.redis.scard(`${t.prefix}:stream:${id}:clients`)).toBe(0);
  });

  it('keeps players alive with null packets while the engine prebuffers', async () => {
    const id = 'f'.repeat(40);
    await setFault(sim, id, { prebuffer_ms: 2500 });
    const player: Capture = await capture(streamUrl(gateway, id));
    expect(player.status).toBe(200);
    await player.waitForBytes(188, 1000);
    expect(player.firstByteMs).toBeLessThan(1000);
    const early = player.bytes();
    expect(withoutNullPackets(early).length).toBe(0);
    await player.waitForBytes(early.length + 100_000, 8000);
    expect(withoutNullPackets(player.bytes()).length).toBeGreaterThan(50_000);
    player.close();
  });

  describe('the management API', () => {
    const key = { authorization: 'Bearer let-me-in-let-me-in' };

    it('drops one player, and stops a stream for everyone, only with the API key', async () => {
      const id = '3c'.repeat(20);
      // The last session checked below must be this test's: earlier tests' end within the grace period.
      await waitFor(async () => (await simSessions(sim)).active === 0, { what: 'no active session' });
      const [a, b] = await Promise.all([capture(streamUrl(gateway, id)), capture(streamUrl(gateway, id))]);
      await Promise.all([a.waitForBytes(50_000), b.waitForBytes(50_000)]);
      const [cid] = await t.redis.smembers(`${t.prefix}:stream:${id}:clients`);

      expect((await fetch(`${gateway.url}/proxy/streams/${id}`, { method: 'DELETE' })).status).toBe(401);
      const wrong = await fetch(`${gateway.url}/proxy/streams/${id}`, { method: 'DELETE', headers: { 'x-api-key': 'nope' } });
      expect(wrong.status).toBe(401);

      const drop = await fetch(`${gateway.url}/proxy/streams/${id}/clients/${cid}`, { method: 'DELETE', headers: key });
      expect(drop.status).toBe(202);
      await waitFor(async () => (await t.redis.scard(`${t.prefix}:stream:${id}:clients`)) === 1, { what: 'one player left' });
      // The dropped player reads what was already sent before it sees the end (the record can go first).
      await waitFor(() => a.ended !== b.ended, { what: 'exactly one player to see its stream end' });

      const stop = await fetch(`${gateway.url}/proxy/streams/${id}`, { method: 'DELETE', headers: key });
      expect(stop.status).toBe(202);
      await Promise.all([a.waitForEnd(), b.waitForEnd()]);
      await waitFor(async () => (await t.redis.exists(`${t.prefix}:stream:${id}:metadata`)) === 0, {
        what: 'the stream keys to go',
      });
      expect((await simSessions(sim)).active).toBe(0);
      const gone = await fetch(`${gateway.url}/proxy/streams/${id}`, { method: 'DELETE', headers: key });
      expect(gone.status).toBe(404);
      const bad = await fetch(`${gateway.url}/proxy/streams/nothex`, { method: 'DELETE', headers: key });
      expect(bad.status).toBe(400);
    });
  });
});

/** Retries `url` as a player would until it streams again, and checks that data flows. */
async function streamsAgain(url: string): Promise<void> {
  const player = await waitFor(
    async () => {
      const p = await capture(url);
      if (p.status === 200) return p;
      p.close();
      return null;
    },
    { what: 'the gateway to serve again', timeoutMs: 15_000, intervalMs: 200 },
  );
  await player.waitForBytes(50_000);
  player.close();
}

// Both on one gateway with a private Redis of its own, which each test stops and starts again.
describe('Redis outages', () => {
  let stack: Stack;
  let gateway: StartedProcess;
  let redis: PrivateRedis;

  beforeAll(async () => {
    // A connection held for a worker that cannot get ready is answered 503 after 1 s instead of 5 s.
    stack = await startStack({ redis: 'private', env: { NOT_READY_WAIT_MS: '1000' } });
    gateway = stack.gateway;
    redis = stack.privateRedis!;
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('answers 503 JSON at once instead of hanging, and serves again when Redis is back', async () => {
    await redis.stop();
    const signal = () => AbortSignal.timeout(5000);
    const stream = await getJson<{ error: string }>(streamUrl(gateway, '4e'.repeat(20)), { signal: signal() });
    expect(stream.status).toBe(503);
    expect(stream.body.error).toBe('redis_unavailable');
    expect(stream.headers.get('retry-after')).toBe('5');
    expect((await getJson(`${gateway.url}/health`, { signal: signal() })).status).toBe(503);
    expect((await getJson(`${gateway.url}/proxy/streams`, { signal: signal() })).status).toBe(503);

    redis = await startPrivateRedis(redis.port);
    await streamsAgain(streamUrl(gateway, '4e'.repeat(20)));
  });

  it('a worker restarting while Redis is down leaves players a 503 to retry rather than a hung connection, and serves once Redis is back', async () => {
    const health = await getJson<{ worker_id: string }>(`${gateway.url}/health`);
    await redis.stop();
    // The one worker dies; its replacement cannot reach Redis, so no worker is ready.
    process.kill(Number(health.body.worker_id.split(':').pop()), 'SIGKILL');
    // A new connection, as a player's: it waits for a ready worker, then gets a 503 to retry.
    // (Raced against a deadline: a connection nobody answers must fail the test, not hang it.)
    const waiting = await Promise.race([
      capture(streamUrl(gateway, '5f'.repeat(20))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 15 s')), 15_000).unref()),
    ]);
    await waiting.waitForEnd(15_000);
    expect(waiting.status).toBe(503);
    expect(waiting.headers['retry-after']).toBe('5');
    expect(JSON.parse(waiting.bytes().toString()).error).toBe('not_ready');

    redis = await startPrivateRedis(redis.port);
    await streamsAgain(streamUrl(gateway, '5f'.repeat(20)));
  });
});

describe('embedded mode without Redis', () => {
  let stack: Stack;
  let sim: StartedProcess;
  let gateway: StartedProcess;
  let deadGateway: StartedProcess;

  beforeAll(async () => {
    stack = await startStack({ redis: 'none' });
    ({ sim, gateway } = stack);
    // A second gateway whose only engine address has nothing listening.
    deadGateway = await stack.addGateway({ ENGINES: '127.0.0.1:1' });
  });
  afterAll(() => stack.stop());

  it('multiplexes two players through one engine session', async () => {
    const id = '1'.repeat(40);
    const players = await Promise.all([capture(streamUrl(gateway, id)), capture(streamUrl(gateway, id))]);
    await Promise.all(players.map((p) => p.waitForBytes(200_000)));
    expect((await simSessions(sim)).started).toBe(1);
    const { body } = await getJson<{ client_count: number; state: string }>(`${gateway.url}/proxy/streams/${id}`);
    expect(body.client_count).toBe(2);
    expect(body.state).toBe('active');
    for (const p of players) p.close();
    await waitFor(async () => (await simSessions(sim)).active === 0, { what: 'the engine session to stop' });
  });

  it('answers 503 JSON with Retry-After when the engine is unreachable', async () => {
    const res = await fetch(streamUrl(deadGateway, '2'.repeat(40)));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('engine_unreachable');
    expect(body.message).toContain('127.0.0.1:1');
  });

  it('refuses the management API when no PROXY_API_KEY is set', async () => {
    const res = await fetch(`${gateway.url}/proxy/streams/${'1'.repeat(40)}`, { method: 'DELETE' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('api_key_not_configured');
  });

  it('reports health', async () => {
    const { status, body } = await getJson<{ status: string; mode: string }>(`${gateway.url}/health`);
    expect(status).toBe(200);
    expect(body.mode).toBe('embedded');
  });
});
