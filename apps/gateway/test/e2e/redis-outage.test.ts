// A Redis outage as an operator meets it: new players get a fast 503, streaming players ride it out.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { capture, type PrivateRedis, type Stack, startPrivateRedis, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstProbeSentAfter } from './helpers.js';

/** Outage length in the default suite; `pnpm test:soak` runs the 30 s (OUTAGE_S=30). */
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 8);

function workerPids(primary: number): number[] {
  const out = execFileSync('ps', ['--ppid', String(primary), '-o', 'pid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0)
    .sort();
}

function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

describe('a Redis outage (private redis-server, 2 workers)', () => {
  let stack: Stack;
  let revived: PrivateRedis | null = null;

  beforeAll(async () => {
    stack = await startStack({ label: 'redis-outage', redis: 'private', workers: 2, simEnv: { BITRATE: '8000000' } });
  });
  afterAll(async () => {
    await stack.stop();
    await revived?.stop();
  });

  it('answers new players 503 in under 1 s every time; streaming players keep their connections and resume', async () => {
    const id = 'c9'.repeat(20);
    const player = await capture(stack.streamUrl(id));
    await player.waitForBytes(500_000);
    const primary = stack.gateway.proc.pid!;
    const pids = workerPids(primary);
    expect(pids).toHaveLength(2);
    const rssBefore = pids.map(rssKb);
    expect(Math.min(...rssBefore)).toBeGreaterThan(0);

    await stack.privateRedis!.stop();
    const answers: Array<{ ms: number; status: number; error: string }> = [];
    for (const n of [1, 2, 3]) {
      const started = performance.now();
      const res = await fetch(stack.streamUrl(`d${n}`.repeat(20)), { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { error: string };
      answers.push({ ms: performance.now() - started, status: res.status, error: body.error });
    }
    for (const a of answers) {
      expect(a).toMatchObject({ status: 503, error: 'redis_unavailable' });
      expect(a.ms).toBeLessThan(1000);
    }

    // The rest of the outage: the owner keeps reading its engine (8 Mbit/s) with nowhere to put
    // it. Memory settles in the first half (V8 grows its heap in the first seconds of any
    // 8 Mbit/s stream, outage or not), then must stay there.
    const outageStart = Date.now();
    const samples: Array<{ at: number; kb: number }> = [];
    while (Date.now() < outageStart + OUTAGE_S * 1000) {
      samples.push({ at: Date.now() - outageStart, kb: Math.max(...pids.map(rssKb)) });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const peak = (list: typeof samples) => Math.max(0, ...list.map((x) => x.kb));
    const half = (OUTAGE_S * 1000) / 2;
    const settledKb = peak(samples.filter((x) => x.at < half));
    const laterKb = peak(samples.filter((x) => x.at >= half));
    expect(player.ended).toBe(false);

    revived = await startPrivateRedis(stack.privateRedis!.port);
    const backAt = Date.now();
    const resumed = await firstProbeSentAfter(player, backAt, 'data sent after Redis came back', 15_000);
    expect(resumed - backAt).toBeLessThan(5000);
    expect(player.ended).toBe(false);
    // No worker was restarted, and none grew with the outage (buffered chunks, queued commands).
    expect(workerPids(primary)).toEqual(pids);
    const grownMb = (Math.max(settledKb, laterKb) - Math.max(...rssBefore)) / 1024;
    const laterMb = (laterKb - settledKb) / 1024;
    process.stderr.write(
      `redis outage ${OUTAGE_S} s: 503 in ${answers.map((a) => Math.round(a.ms)).join('/')} ms, resumed after ${resumed - backAt} ms, worker RSS +${grownMb.toFixed(1)} MB, +${laterMb.toFixed(1)} MB in the second half\n`,
    );
    // Queued appends would grow with the bitrate (1 MB/s) for as long as the outage lasts.
    expect(grownMb).toBeLessThan(40);
    if (OUTAGE_S >= 20) expect(laterMb).toBeLessThan(8);
    player.close();
  });
});
