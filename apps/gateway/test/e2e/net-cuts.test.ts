// Partial cuts (network namespaces): a host's Pub/Sub connection killed, a host cut from its engine, one-way cuts to Redis.

import { getJson, type LabStack, labStack, netLabUnavailable, waitFor } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';
import { FollowingPlayer, labPerSuite, ownerGateway } from './net-helpers.js';

const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;

const BITRATE = 2_000_000;
const HOLD_S = 4;

/** Which sim sent a probe: labStack numbers sim i's sessions from 1000 × i + 1. */
const simOf = (session: number) => Math.floor((session - 1) / 1000);

/** Probe sequence breaks within one engine session a player saw: data it never got (a jump). */
function breaks(player: FollowingPlayer, from: number): number {
  let count = 0;
  const last = new Map<number, number>();
  for (const p of player.probes) {
    const before = last.get(p.session);
    if (p.arrivedAt > from && before !== undefined && p.seq !== before + 1) count++;
    last.set(p.session, p.seq);
  }
  return count;
}

suite(`partial cuts between gateway hosts, Redis and engines${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let stack: LabStack;
  let players: FollowingPlayer[] = [];

  labPerSuite(
    async () =>
      (stack = await labStack({
        gateways: 2,
        sims: 2,
        simEnv: { BITRATE: String(BITRATE) },
        env: { PROXY_REDIS_OUTAGE_HOLD: String(HOLD_S), PROXY_NO_DATA_TIMEOUT: '2', PROXY_ENGINE_API_TIMEOUT: '1' },
      })),
  );
  afterEach(async () => {
    for (const p of players) p.close();
    players = [];
    await stack?.lab.heal();
  });

  /** Four players of `id` through HAProxy (two on each host), all receiving. */
  async function watch(id: string): Promise<FollowingPlayer[]> {
    for (let i = 0; i < 4; i++) {
      const player = new FollowingPlayer(stack.streamUrl(id));
      players.push(player);
      await waitFor(() => player.probes.length > 0, { what: `player ${i} receiving`, timeoutMs: 15_000 });
    }
    return players;
  }

  const health = async (g: number) => (await fetch(`${stack.gateways[g]!.url}/health`).catch(() => null))?.status ?? 0;

  it('a host whose Pub/Sub connection alone is killed (ss -K): its players stay at full rate through the catch-up read', async () => {
    const id = 'b1'.repeat(20);
    await watch(id);
    const redis = stack.redis.redis;
    const owner = await ownerGateway(stack, redis, id);
    // The subscriber connection of the host that does not own the stream: it learns of every chunk by Pub/Sub.
    const host = 1 - owner;
    const clients = (await redis.client('LIST')) as string;
    const line = clients
      .split('\n')
      .find((l) => l.includes(':subscriber') && l.includes(`addr=${stack.gatewayHosts[host]!.address}:`));
    const port = Number(/addr=[\d.]+:(\d+)/.exec(line ?? '')?.[1]);
    expect(port).toBeGreaterThan(0);
    const bytesBefore = players.map((p) => p.bytes);
    const killedAt = Date.now();
    await stack.gatewayHosts[host]!.killConnections(stack.redisHost, { localPort: port });
    await waitFor(
      async () =>
        ((await redis.client('LIST')) as string)
          .split('\n')
          .some(
            (l) =>
              l.includes(':subscriber') && l.includes(`addr=${stack.gatewayHosts[host]!.address}:`) && !l.includes(`:${port} `),
          ),
      {
        what: 'the subscriber connected again',
        timeoutMs: 5000,
      },
    );
    await waitFor(() => Date.now() > killedAt + 3000, { what: '3 s of play after the kill', timeoutMs: 5000, intervalMs: 100 });
    const seconds = (Date.now() - killedAt) / 1000;
    const rates = players.map((p, i) => ((p.bytes - bytesBefore[i]!) * 8) / seconds / BITRATE);
    const gaps = players.map((p) => p.longestGap(killedAt, Date.now()));
    process.stderr.write(
      `net cuts, Pub/Sub killed: players at ${rates.map((r) => r.toFixed(2)).join('/')} of the bitrate, longest probe gap ${gaps.map(Math.round).join('/')} ms\n`,
    );
    for (const [i, p] of players.entries()) {
      expect(p.ends).toEqual([]);
      expect(breaks(p, killedAt)).toBe(0);
      expect(rates[i]).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('a host cut from its engine (not from Redis) is handled like a hung engine: the stream moves to the other engine, players kept', async () => {
    const id = 'b2'.repeat(20);
    await watch(id);
    const owner = await ownerGateway(stack, stack.redis.redis, id);
    // Which sim serves it: the one whose session of `id` is being read.
    const reading = await Promise.all(
      stack.sims.map(async (sim) =>
        (await getJson<{ sessions: Array<{ id: string; readers: number }> }>(`${sim.url}/sim/sessions`)).body.sessions.some(
          (s) => s.id === id && s.readers > 0,
        ),
      ),
    );
    const engine = reading.indexOf(true);
    expect(engine).toBeGreaterThanOrEqual(0);
    const cutAt = Date.now();
    await stack.lab.partition(stack.gatewayHosts[owner]!, stack.simHosts[engine]!);
    const fromNext = (p: FollowingPlayer) => p.probes.find((x) => x.arrivedAt > cutAt && simOf(x.session) === 1 - engine);
    await waitFor(() => players.every(fromNext), {
      what: "every player receiving the other engine's data",
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const movedMs = players.map((p) => fromNext(p)!.arrivedAt - cutAt);
    process.stderr.write(`net cuts, host cut from its engine: players on the next engine after ${movedMs.join('/')} ms\n`);
    for (const p of players) expect(p.ends).toEqual([]);
    expect(await health(owner)).toBe(200);
  });

  for (const direction of ['to Redis only', 'from Redis only'] as const) {
    it(`a one-way cut (${direction}) breaks TCP both ways: health fails within 2 s, players are handed back and resume on the other host`, async () => {
      const id = direction === 'to Redis only' ? 'b3'.repeat(20) : 'b4'.repeat(20);
      await watch(id);
      const owner = await ownerGateway(stack, stack.redis.redis, id);
      const [from, to] =
        direction === 'to Redis only'
          ? [stack.gatewayHosts[owner]!, stack.redisHost]
          : [stack.redisHost, stack.gatewayHosts[owner]!];
      const cutAt = Date.now();
      await stack.lab.partition(from, to, { oneWay: true });
      await waitFor(async () => (await health(owner)) === 503, {
        what: 'the host reporting unhealthy',
        timeoutMs: 5000,
        intervalMs: 50,
      });
      const unhealthyMs = Date.now() - cutAt;
      await waitFor(() => players.every((p) => p.firstSentAfter(cutAt + 3000) !== null), {
        what: 'every player receiving data again',
        timeoutMs: HOLD_S * 1000 + 12_000,
        intervalMs: 100,
      });
      const resumedMs = players.map((p) => p.firstSentAfter(cutAt + 3000)! - cutAt);
      process.stderr.write(
        `net cuts, one-way cut ${direction}: unhealthy after ${unhealthyMs} ms, players resumed after ${resumedMs.join('/')} ms\n`,
      );
      expect(unhealthyMs).toBeLessThanOrEqual(2000);
      await stack?.lab.heal();
      await waitFor(async () => (await health(owner)) === 200, {
        what: 'the healed host healthy again',
        timeoutMs: 15_000,
        intervalMs: 100,
      });
    });
  }
});
