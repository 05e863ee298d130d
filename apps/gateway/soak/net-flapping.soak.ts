// The flapping link (`pnpm test:soak`): for 30 minutes one gateway host's link to Redis is cut and healed at random.

import { type LabStack, labStack, netLabUnavailable, waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';
import {
  FollowingPlayer,
  labPerSuite,
  longestOverlap,
  sessionHistory,
  sessionRuns,
  sessionsInBuffer,
} from '../test/e2e/net-helpers.js';

const MINUTES = Number(process.env.FLAP_MINUTES ?? 30);
const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;
/** The gateway's defaults: PROXY_OWNER_TTL_MS and PROXY_REDIS_OUTAGE_HOLD. */
const OWNER_TTL_MS = 3000;
const HOLD_S = 15;
const ID = 'f1'.repeat(20);

/** A random whole number of ms in [min, max]. */
const between = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

suite(`a link that flaps for ${MINUTES} minutes${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let stack: LabStack;
  const players: FollowingPlayer[] = [];

  labPerSuite(
    async () => (stack = await labStack({ gateways: 2, sims: 2 })),
    () => players,
  );

  it('gw1 cut from Redis for 1-25 s, healed for 5-60 s, again and again: players always resume, never two owners, sessions overlap at most the TTL', async () => {
    for (let i = 0; i < 6; i++) {
      players.push(new FollowingPlayer(stack.streamUrl(ID)));
      await waitFor(() => players[i]!.probes.length > 0, { what: `player ${i} receiving`, timeoutMs: 15_000 });
    }
    const end = Date.now() + MINUTES * 60_000;
    const cuts: Array<{ ms: number; resumedMs: number }> = [];
    while (Date.now() < end) {
      const cutMs = between(1000, 25_000);
      const cutAt = Date.now();
      const fault = await stack.lab.partition(stack.gatewayHosts[0]!, stack.redisHost);
      await new Promise((resolve) => setTimeout(resolve, cutMs)); // the cut itself
      await fault.heal();
      // Every player gets data the engine sent after the cut began plus a TTL (a takeover at the latest).
      await waitFor(() => players.every((p) => p.firstSentAfter(cutAt + OWNER_TTL_MS) !== null), {
        what: `every player receiving after a ${cutMs} ms cut`,
        timeoutMs: HOLD_S * 1000 + 20_000,
        intervalMs: 200,
      });
      cuts.push({ ms: cutMs, resumedMs: Math.max(...players.map((p) => p.firstSentAfter(cutAt + OWNER_TTL_MS)! - cutAt)) });
      // The buffer holds the last minute, this cut included: one session's chunks, then the next's.
      const runs = sessionRuns(await sessionsInBuffer(stack.redis.redis, stack, ID));
      expect(new Set(runs).size).toBe(runs.length);
      await new Promise((resolve) => setTimeout(resolve, between(5000, 60_000))); // healed for a while
    }
    const overlapMs = longestOverlap(await sessionHistory(stack.sims), ID);
    process.stderr.write(
      `flapping link: ${cuts.length} cuts (${cuts.map((c) => `${c.ms}->${c.resumedMs}`).join(' ')} ms), ` +
        `player reconnects ${players.map((p) => p.connected - 1).join('/')}, engine session overlap at most ${overlapMs} ms\n`,
    );
    expect(overlapMs).toBeLessThanOrEqual(OWNER_TTL_MS);
  });
});
