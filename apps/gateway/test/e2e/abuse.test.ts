// Issue 20 in one scene: four players watch a channel on a 2-worker gateway (Redis, two engines)
// while one address tries every abuse at once — pipelined ghosts, a burst of new ids, slowloris
// and idle sockets, drive-by and made-up HLS requests, silent status watchers with huge user
// agents, playlist rewrites in a loop — and an engine of another channel turns to garbage. The
// players never stall, a second address still opens a channel, the workers' memory stays bounded,
// and nothing of the refused requests is left in Redis. Each item has its focused test too.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import {
  capture,
  getJson,
  type Stack,
  setFault,
  simSessions,
  startStack,
  type TimedPlayer,
  timedPlayer,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bigList,
  keptAlive,
  open,
  type Probe,
  pipelined,
  poster,
  rss,
  silentClient,
  slowloris,
  workerPids,
} from './attackers.js';

const WATCHED = 'a0'.repeat(20);
const GARBAGE = 'b0'.repeat(20);
const SECOND = 'c0'.repeat(20);
/** The attacker and the household next door: loopback addresses of their own. */
const ATTACKER = '127.0.0.9';
const NEIGHBOUR = '127.0.0.2';
const HEADERS_S = 2;
const NEW_SESSIONS_PER_MINUTE = 3;
/**
 * Two engines of 4: the watched channel, the garbage channel (and its move to the other engine),
 * the attacker's capped new sessions, and still a slot for the neighbour.
 */
const ENGINE_MAX_STREAMS = 4;
const REWRITE_MAX_BYTES = 256 * 1024;
const NO_DATA_S = 1;

const randomId = () => randomBytes(20).toString('hex');

/** Status of one POST of `body` on a connection of its own. */
function postOnce(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Status of a GET from `localAddress` (closed as soon as the head arrives). */
async function statusFrom(url: string, localAddress: string): Promise<number> {
  const player = await capture(url, {}, { localAddress });
  player.close();
  return player.status;
}

describe('one address abusing a gateway while four players watch', () => {
  let stack: Stack;
  let players: TimedPlayer[] = [];
  const sockets: net.Socket[] = [];
  const probes: Probe[] = [];

  beforeAll(async () => {
    stack = await startStack({
      label: 'abuse',
      sims: 2,
      workers: 2,
      env: {
        ENGINE_MAX_STREAMS: String(ENGINE_MAX_STREAMS),
        PROXY_MAX_NEW_SESSIONS_PER_MINUTE: String(NEW_SESSIONS_PER_MINUTE),
        PROXY_MAX_CONNECTIONS_PER_ADDRESS: '400',
        PROXY_HEADERS_TIMEOUT: String(HEADERS_S),
        PROXY_IDLE_TIMEOUT: String(HEADERS_S),
        PROXY_NO_DATA_TIMEOUT: String(NO_DATA_S),
        PROXY_MAX_RETRIES: '0',
        PLAYLIST_REWRITE_MAX_BYTES: String(REWRITE_MAX_BYTES),
        PROXY_HEARTBEAT_INTERVAL: '1',
      },
    });
  });
  afterAll(async () => {
    for (const p of players) p.close();
    for (const s of sockets) s.destroy();
    for (const p of probes) p.socket.destroy();
    await stack?.stop();
  });

  it('keeps the players streaming, a channel for the next address, memory bounded and no stray key', async () => {
    players = await Promise.all(Array.from({ length: 4 }, () => timedPlayer(stack.streamUrl(WATCHED))));
    await Promise.all(players.map((p) => p.dataAfter(0, 15_000)));
    // The channel whose engine turns to garbage, on the engine the watched channel does not use.
    const watchedPort = Number(await stack.redis.hget(stack.key('stream', WATCHED, 'metadata'), 'engine_port'));
    const bad = stack.sims.find((s) => s.port !== watchedPort)!;
    await setFault(bad, GARBAGE, { garbage_after_s: 1 });
    const garbageViewer = await timedPlayer(`${stack.streamUrl(GARBAGE)}`);
    players.push(garbageViewer);
    await garbageViewer.dataAfter(0, 15_000);
    // A worker starts its playlist-rewrite thread (a V8 heap of its own, ~30 MB) on its first
    // rewrite: a fixed cost, started here so the memory check sees what the abuse adds.
    const warmUp = bigList(64 * 1024);
    // A connection each (no keep-alive), so both workers get some.
    for (let i = 0; i < 6; i++) expect(await postOnce(`${stack.gateway.url}/playlist/rewrite`, warmUp)).toBe(200);
    const rssBefore = workerPids(stack.gateway.proc.pid!).map(rss);
    const keysBefore = new Set(await stack.keys());
    const since = performance.now();
    const url = stack.gateway.url;

    // 1. Ten ids pipelined on one connection: one engine session at most.
    const startedBefore = (await Promise.all(stack.sims.map(simSessions))).reduce((n, s) => n + s.started, 0);
    const pipeline = await pipelined(
      url,
      Array.from({ length: 10 }, () => `/ace/getstream?id=${randomId()}`),
      ATTACKER,
    );
    probes.push(pipeline);
    await waitFor(() => pipeline.bytes > 20_000, { what: 'the pipelined connection to be served its first stream' });

    // 2 and 4. A burst of twenty new ids: the address's new-session cap answers 429 past it, and
    // the engines' slots are never exceeded.
    const burst = await Promise.all(Array.from({ length: 20 }, () => statusFrom(stack.streamUrl(randomId()), ATTACKER)));
    expect(burst.filter((s) => s === 200).length).toBeLessThanOrEqual(NEW_SESSIONS_PER_MINUTE - 1);
    expect(burst.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20 - NEW_SESSIONS_PER_MINUTE);
    const started = (await Promise.all(stack.sims.map(simSessions))).reduce((n, s) => n + s.started, 0);
    // The cap's sessions, and the one the garbage channel may have opened on the other engine by now.
    expect(started - startedBefore).toBeLessThanOrEqual(NEW_SESSIONS_PER_MINUTE + 1);
    for (const sim of stack.sims) expect((await simSessions(sim)).active).toBeLessThanOrEqual(ENGINE_MAX_STREAMS);
    // A made-up HLS session starts nothing: 400 bad_hls_request.
    const madeUp = await getJson<{ error: string }>(`${url}/ace/hls/${randomId()}/${randomBytes(16).toString('hex')}/index.m3u8`);
    expect(madeUp.status).toBe(400);
    expect(madeUp.body.error).toBe('bad_hls_request');

    // 3. Slowloris and idle sockets, closed by the headers deadline.
    const lingering = await Promise.all([
      ...Array.from({ length: 50 }, () => slowloris(url, ATTACKER)),
      ...Array.from({ length: 50 }, () => open(url, () => {}, ATTACKER)),
      ...Array.from({ length: 10 }, () => keptAlive(url, ATTACKER)),
    ]);
    probes.push(...lingering);

    // 5. Silent status watchers and paused players with 15 KB user agents.
    for (let i = 0; i < 6; i++) sockets.push(await silentClient(stack.gateway.port, '/proxy/events', `watcher ${i}`, ATTACKER));
    for (let i = 0; i < 100; i++) {
      sockets.push(
        await silentClient(stack.gateway.port, `/ace/getstream?id=${WATCHED}`, `Paused/${i} ${'x'.repeat(15_000)}`, ATTACKER),
      );
    }

    // 6. Playlist rewrites of the largest allowed list, two posters in a loop, while all that goes on.
    const list = bigList(REWRITE_MAX_BYTES);
    const answered = await Promise.all([0, 1].map(() => poster(`${url}/playlist/rewrite`, list, (HEADERS_S + 1) * 1000)));
    const statuses = new Set(answered.flatMap((counts) => Object.keys(counts)));
    expect(answered.every((counts) => (counts['200'] ?? 0) > 0)).toBe(true);
    expect([...statuses].every((s) => s === '200' || s === '503')).toBe(true);

    await waitFor(() => lingering.every((p) => !Number.isNaN(p.closedAt)), {
      what: 'every slowloris and idle connection to be closed',
      timeoutMs: (HEADERS_S + 5) * 1000,
    });
    expect(Math.max(...lingering.map((p) => p.closedAt - p.openedAt))).toBeLessThan((HEADERS_S + 2) * 1000);

    // 8. The anonymous views show no engine session.
    const view = JSON.stringify((await getJson(`${url}/proxy/streams/${WATCHED}`)).body);
    for (const field of ['playback_session_id', 'command_url', 'stat_url', 'playback_url']) expect(view).not.toContain(field);

    // 9. The garbage engine was left and its viewer is served by the other engine.
    const good = stack.sims.find((s) => s !== bad)!;
    await waitFor(
      async () => Number(await stack.redis.hget(stack.key('stream', GARBAGE, 'metadata'), 'engine_port')) === good.port,
      { what: 'the channel to leave the engine that sends garbage', timeoutMs: (NO_DATA_S + 6) * 1000 },
    );
    await garbageViewer.dataAfter(performance.now(), 5000);
    expect(garbageViewer.ended).toBe(false);

    // The four players never stalled; the next address still gets a channel of its own.
    for (const p of players.slice(0, 4)) {
      expect(p.ended).toBe(false);
      expect(p.longestGapSince(since)).toBeLessThan(500);
    }
    const neighbour = await capture(stack.streamUrl(SECOND), {}, { localAddress: NEIGHBOUR });
    await neighbour.waitForBytes(20_000);
    expect(neighbour.status).toBe(200);

    // Memory: each worker within +100 MB of where it started (measured here: +55–70 MB, V8's heaps
    // grown by the burst of work included). The focused test of the status feed holds its part to
    // +50 MB (status-abuse.test.ts); uncut snapshots grew a worker by 92 MB in 5 s.
    const rssAfter = workerPids(stack.gateway.proc.pid!).map(rss);
    for (const [i, after] of rssAfter.entries()) expect(after - (rssBefore[i] ?? 0)).toBeLessThan(100 * 2 ** 20);

    // 7. Once the attacker is gone, nothing of its requests is left in Redis.
    for (const s of sockets) s.destroy();
    for (const p of probes) p.socket.destroy();
    const legitimate = new Set([WATCHED, GARBAGE, SECOND]);
    const stray = async () =>
      (await stack.keys()).filter((k) => {
        const id = /:stream:\{?([0-9a-f]{40})/.exec(k)?.[1];
        return (id !== undefined && !legitimate.has(id)) || /:\{?limits\}?:127\.0\.0\.9:connections$/.test(k);
      });
    await waitFor(async () => (await stray()).length === 0, {
      what: 'no key of the refused or abandoned requests in Redis',
      timeoutMs: 10_000,
    });
    expect(keysBefore.size).toBeGreaterThan(0);
    neighbour.close();
  });
});
