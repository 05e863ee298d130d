// Latency and loss between the gateway hosts and Redis (network namespaces): players of an 8 Mbit/s channel get the same bytes, late by little more than the RTT.

import { getJson, type LabStack, labStack, netLabUnavailable, type StartedProcess, waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';
import { labPerSuite } from './net-helpers.js';

const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;

/**
 * Players of the channel, spread over the two hosts by HAProxy (`pnpm test:soak`: the issue's 200,
 * ~100 MB/s through each host). At 200 the bound holds without a fault and at 20 ms RTT, but the
 * 0.5% loss run failed 1 run in 12 on 2026-12-07 (docs/reliability.md, "Limits"): not in the suite.
 */
const PLAYERS = Number(process.env.NET_PLAYERS ?? 20);
/** How long a run without loss is measured, once every player receives (50 chunks: its p99 has no retransmission to wait out). */
const WINDOW_MS = Number(process.env.NET_WINDOW_S ?? 5) * 1000;
/**
 * A lossy run is measured as three windows of 10 s, its p99 the median of theirs (the issue's
 * figures are medians of 3). Every player's probes of one chunk share its path through Redis, so
 * one packet lost there (a TCP retransmission of ≥ 200 ms) delays a whole chunk's samples: the p99
 * of one 8 s window said whether one chunk of 80 was hit (1 CI run in 4), not whether 1% were.
 * When the first two windows are both within the bound the third cannot take the median past it,
 * so a bounded run stops there and counts the higher of the two (never below the median of three).
 */
const LOSSY_WINDOWS = 3;
const LOSSY_WINDOW_MS = Number(process.env.NET_LOSSY_WINDOW_S ?? 10) * 1000;
const BITRATE = 8_000_000;
/** The issue's bound on the engine→player p99 at a link's RTT. */
const p99Bound = (rttMs: number) => 250 + 3 * rttMs;

interface SwarmStats {
  players: number;
  receiving: number;
  ended: number;
  ms: number;
  bytes: number;
  probes: number;
  p50: number;
  p99: number;
  /** Probes that arrived more than 250 ms after the engine sent them. */
  over250: number;
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
/** Up to 20 s for the players to receive, then each run's measuring windows and 5 s to settle and heal. */
const TEST_TIMEOUT_MS = RUNS.reduce(
  (sum, run) => sum + 5_000 + (run.loss > 0 ? LOSSY_WINDOWS * LOSSY_WINDOW_MS : WINDOW_MS),
  20_000,
);

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
      const results: Array<{ name: string; rttMs: number; rate: number; stats: SwarmStats; bounded: boolean; p99s: number[] }> =
        [];
      // One crowd for every run: the faults come and go under players that stay, as on a real link.
      const url = `${stack.lb.peerUrl}/ace/getstream?id=${'1f'.repeat(20)}`;
      await fetch(`${swarm.url}/players?count=${PLAYERS}&url=${encodeURIComponent(url)}`, { method: 'POST' });
      const stats = () => getJson<SwarmStats>(`${swarm.url}/stats`).then((r) => r.body);
      await waitFor(async () => (await stats()).receiving === PLAYERS, {
        what: `all ${PLAYERS} players receiving`,
        timeoutMs: 20_000,
      });
      for (const run of RUNS) {
        await stack.redisRelay!.set({ ms: run.ms });
        const loss = run.loss > 0 ? await stack.lab.loss(stack.redisHost, run.loss) : null;
        try {
          // Past the joins' backlog (sent at once; the first run) or the previous run's link, into this run's steady state.
          await new Promise((resolve) => setTimeout(resolve, run === RUNS[0] ? 1000 : 500));
          // The measuring windows: one, or for a lossy run up to three, the p99 their median.
          const bound = p99Bound(2 * run.ms);
          const windows: SwarmStats[] = [];
          for (let w = 0; w < (run.loss > 0 ? LOSSY_WINDOWS : 1); w++) {
            await fetch(`${swarm.url}/mark`, { method: 'POST' });
            await new Promise((resolve) => setTimeout(resolve, run.loss > 0 ? LOSSY_WINDOW_MS : WINDOW_MS));
            windows.push(await stats());
            if (run.bounded && windows.length === 2 && windows.every((m) => m.p99 <= bound)) break;
          }
          const p99s = windows.map((m) => m.p99).sort((a, b) => a - b);
          const last = windows[windows.length - 1]!;
          const measured: SwarmStats = {
            ...last,
            ms: windows.reduce((sum, m) => sum + m.ms, 0),
            bytes: windows.reduce((sum, m) => sum + m.bytes, 0),
            breaks: windows.reduce((sum, m) => sum + m.breaks, 0),
            probes: windows.reduce((sum, m) => sum + m.probes, 0),
            over250: windows.reduce((sum, m) => sum + m.over250, 0),
            // The median of three, or of two windows within the bound the higher.
            p99: p99s[p99s.length === 2 ? 1 : Math.floor(p99s.length / 2)]!,
          };
          results.push({
            name: run.name,
            rttMs: 2 * run.ms,
            rate: measured.bytes / measured.ms,
            stats: measured,
            bounded: run.bounded,
            p99s,
          });
        } finally {
          await loss?.heal();
        }
      }
      await fetch(`${swarm.url}/players`, { method: 'DELETE' });
      const control = results[0]!;
      for (const r of results) {
        process.stderr.write(
          `net latency, ${r.name}: ${((r.rate * 8) / 1000 / PLAYERS).toFixed(2)} Mbit/s per player (${(r.rate / control.rate).toFixed(3)} of no fault), ` +
            `engine→player p50 ${r.stats.p50} ms p99 ${r.stats.p99} ms${r.p99s.length > 1 ? ` (windows: ${r.p99s.join('/')} ms)` : ''}, ${((100 * r.stats.over250) / r.stats.probes).toFixed(3)}% over 250 ms, ${r.stats.breaks} breaks, ${r.stats.ended} ended\n`,
        );
      }
      // Each player keeps up with the channel without a fault (the machine can carry the load).
      expect((control.rate * 8) / 1000 / PLAYERS).toBeGreaterThan((BITRATE / 1e6) * 0.9);
      for (const r of results) {
        expect(r.stats.ended).toBe(0);
        if (!r.bounded) continue;
        expect(r.stats.breaks).toBe(0);
        expect(r.rate / control.rate).toBeGreaterThanOrEqual(0.95);
        expect(r.stats.p99).toBeLessThanOrEqual(p99Bound(r.rttMs));
      }
    },
    TEST_TIMEOUT_MS,
  );
});
