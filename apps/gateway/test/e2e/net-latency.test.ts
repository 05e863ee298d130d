// Latency and loss between the gateway hosts and Redis (network namespaces): players of an 8 Mbit/s channel get the same bytes, late by little more than the RTT.

import { getJson, type LabStack, labStack, netLabUnavailable, type StartedProcess, waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';
import { labPerSuite } from './net-helpers.js';

const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;

/** Players of the channel, spread over the two hosts by HAProxy: the issue's 200 (~100 MB/s through each host). */
const PLAYERS = Number(process.env.NET_PLAYERS ?? 200);
/** How long each run is measured, once every player receives. */
const WINDOW_MS = Number(process.env.NET_WINDOW_S ?? 8) * 1000;
/**
 * A lossy run is measured as three windows of 10 s, its p99 the median of theirs (the issue's
 * figures are medians of 3). Every player's probes of one chunk share its path through Redis, so
 * one packet lost there (a TCP retransmission of ≥ 200 ms) delays a whole chunk's samples: the p99
 * of one 8 s window said whether one chunk of 80 was hit (1 CI run in 4), not whether 1% were.
 */
const LOSSY_WINDOWS = 3;
const LOSSY_WINDOW_MS = 10_000;
const BITRATE = 8_000_000;

interface SwarmStats {
  players: number;
  receiving: number;
  ended: number;
  ms: number;
  bytes: number;
  probes: number;
  p50: number;
  p99: number;
  breaks: number;
}

/** The runs: the first without a fault, the others measured against it. `ms` is each way, so the RTT is twice it. */
const RUNS = [
  { name: 'no fault', ms: 0, loss: 0, bounded: true },
  { name: '2 ms RTT and 0.5% loss', ms: 1, loss: 0.005, bounded: true },
  { name: '20 ms RTT', ms: 10, loss: 0, bounded: true },
];
/** `pnpm test:soak` adds a heavier loss (NET_EXTRA_LOSS=0.05), measured and reported, with no bound of the issue's. */
const EXTRA_LOSS = Number(process.env.NET_EXTRA_LOSS ?? 0);
if (EXTRA_LOSS > 0) RUNS.push({ name: `2 ms RTT and ${EXTRA_LOSS * 100}% loss`, ms: 1, loss: EXTRA_LOSS, bounded: false });
/** Each run's measuring windows, plus up to 20 s for its players to receive and 5 s to settle and close. */
const TEST_TIMEOUT_MS = RUNS.reduce((sum, run) => sum + 25_000 + (run.loss > 0 ? LOSSY_WINDOWS * LOSSY_WINDOW_MS : WINDOW_MS), 0);

suite(`latency and loss to Redis, ${PLAYERS} players on two hosts${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let stack: LabStack;
  let swarm: StartedProcess;

  labPerSuite(async () => {
    stack = await labStack({ gateways: 2, sims: 1, simEnv: { BITRATE: String(BITRATE) }, redisDelay: { ms: 0 } });
    swarm = await stack.playerHost.spawnNode('apps/gateway/test/e2e/player-swarm.mjs');
    stack.playerHost.own(() => swarm.stop('SIGKILL'));
    return stack;
  });

  it(
    'each fault keeps ≥ 0.95 of the bytes of the run without it, engine→player p99 ≤ 250 ms + 3 × RTT, and no player jumps',
    async () => {
      const results: Array<{ name: string; rttMs: number; rate: number; stats: SwarmStats; bounded: boolean }> = [];
      for (const [n, run] of RUNS.entries()) {
        await stack.redisRelay!.set({ ms: run.ms });
        const loss = run.loss > 0 ? await stack.lab.loss(stack.redisHost, run.loss) : null;
        try {
          const id = `${n + 1}f`.repeat(20);
          const url = `${stack.lb.peerUrl}/ace/getstream?id=${id}`;
          await fetch(`${swarm.url}/players?count=${PLAYERS}&url=${encodeURIComponent(url)}`, { method: 'POST' });
          const stats = () => getJson<SwarmStats>(`${swarm.url}/stats`).then((r) => r.body);
          await waitFor(async () => (await stats()).receiving === PLAYERS, {
            what: `all ${PLAYERS} players receiving`,
            timeoutMs: 20_000,
          });
          // Past the joins' backlog (sent at once), into the steady state.
          await new Promise((resolve) => setTimeout(resolve, 1000));
          // The measuring windows: one, or for a lossy run three, the p99 their median.
          const windows: SwarmStats[] = [];
          for (let w = 0; w < (run.loss > 0 ? LOSSY_WINDOWS : 1); w++) {
            await fetch(`${swarm.url}/mark`, { method: 'POST' });
            await new Promise((resolve) => setTimeout(resolve, run.loss > 0 ? LOSSY_WINDOW_MS : WINDOW_MS));
            windows.push(await stats());
          }
          const p99s = windows.map((m) => m.p99).sort((a, b) => a - b);
          const last = windows[windows.length - 1]!;
          const measured: SwarmStats = {
            ...last,
            ms: windows.reduce((sum, m) => sum + m.ms, 0),
            bytes: windows.reduce((sum, m) => sum + m.bytes, 0),
            breaks: windows.reduce((sum, m) => sum + m.breaks, 0),
            p99: p99s[Math.floor(p99s.length / 2)]!,
          };
          results.push({
            name: run.name,
            rttMs: 2 * run.ms,
            rate: measured.bytes / measured.ms,
            stats: measured,
            bounded: run.bounded,
          });
          await fetch(`${swarm.url}/players`, { method: 'DELETE' });
        } finally {
          await loss?.heal();
        }
      }
      const control = results[0]!;
      for (const r of results) {
        process.stderr.write(
          `net latency, ${r.name}: ${((r.rate * 8) / 1000 / PLAYERS).toFixed(2)} Mbit/s per player (${(r.rate / control.rate).toFixed(3)} of no fault), ` +
            `engine→player p50 ${r.stats.p50} ms p99 ${r.stats.p99} ms, ${r.stats.breaks} breaks, ${r.stats.ended} ended\n`,
        );
      }
      // Each player keeps up with the channel without a fault (the machine can carry the load).
      expect((control.rate * 8) / 1000 / PLAYERS).toBeGreaterThan((BITRATE / 1e6) * 0.9);
      for (const r of results) {
        expect(r.stats.ended).toBe(0);
        if (!r.bounded) continue;
        expect(r.stats.breaks).toBe(0);
        expect(r.rate / control.rate).toBeGreaterThanOrEqual(0.95);
        expect(r.stats.p99).toBeLessThanOrEqual(250 + 3 * r.rttMs);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
