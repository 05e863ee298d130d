// A big guide (2,000 channels) refreshed and served by a running two-worker gateway while players
// watch: every worker's RSS grows less than 100 MB and no player waits 500 ms (issue 22). 10 MB in
// the suite; `pnpm test:guide-big` runs the 100 MB. The figures are logged.

import { rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import {
  getJson,
  type Stack,
  startStack,
  type TimedPlayer,
  tempDir,
  timedPlayer,
  waitFor,
  writeXmltvGuide,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rss, workerPids } from './attackers.js';
import { snapshotWhere } from './helpers.js';

const MB = Number(process.env.EPG_GUIDE_MB ?? 10);
const CHANNELS = 2000;
const idOf = (n: number) => n.toString(16).padStart(40, '0');

interface GuideHealth {
  guide?: { sources: Array<{ ok: boolean; error: string | null; channels: number; programmes: number }> };
}

/** Peak RSS of each worker above its level when sampling began, sampled every 50 ms. */
function rssSampler(pids: number[]) {
  const base = pids.map(rss);
  const peak = [...base];
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      peak[i] = Math.max(peak[i]!, rss(pid));
    });
  }, 50);
  return {
    growthMb: () => Math.max(...peak.map((p, i) => p - base[i]!)) / 2 ** 20,
    stop: () => clearInterval(timer),
  };
}

/** The whole of /epg.xml (unpacked on the worker, its most costly form), counted and dropped. */
function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe(`a ${MB} MB guide of ${CHANNELS} channels in a two-worker gateway`, () => {
  const dir = tempDir('guide-load');
  const source = join(dir, 'guide.xml.gz');
  let stack: Stack;
  const players: TimedPlayer[] = [];

  beforeAll(async () => {
    // Programmes from an hour ago: what is on now is kept too, as with a real guide.
    await writeXmltvGuide(
      join(dir, 'generated.xml.gz'),
      CHANNELS,
      MB * 2 ** 20,
      Math.floor(Date.now() / 1800_000 - 2) * 1800_000,
    );
    const lines = ['#EXTM3U'];
    for (let n = 0; n < CHANNELS; n++) lines.push(`#EXTINF:-1 tvg-id="src.${n}",Channel ${n}`, `acestream://${idOf(n)}`);
    await writeFile(join(dir, 'list.m3u'), `${lines.join('\n')}\n`);
    // The guide file is not there yet: the first refresh fails at once, and the one after it
    // (EPG_REFRESH_HOURS later, 3.6 s) reads it while the players watch.
    stack = await startStack({
      label: 'guide-load',
      workers: 2,
      // LOG_LEVEL=info: the refresh logs how long it took.
      env: {
        WORKERS: '2',
        PLAYLIST_SOURCES: join(dir, 'list.m3u'),
        EPG_SOURCES: source,
        EPG_REFRESH_HOURS: '0.001',
        LOG_LEVEL: 'info',
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const p of players) p.close();
    await stack?.stop();
    // The generated guide: 10 MB here, 100 MB with pnpm test:guide-big.
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'is merged and served with worker RSS growth under 100 MB and no player gap over 500 ms',
    async () => {
      const health = () => getJson<GuideHealth>(`${stack.gateway.url}/health`).then((r) => r.body.guide?.sources[0]);
      await waitFor(async () => (await health())?.error === 'no such file', {
        timeoutMs: 20_000,
        what: 'the first guide refresh failing on the missing file',
      });
      // Players on both workers (one channel each), so some are on the worker that takes the refresh.
      const workerOf = new Map<string, string>();
      for (let n = 0; n < 8; n++) {
        const player = await timedPlayer(`${stack.gateway.url}/ace/getstream?id=${idOf(n)}`);
        players.push(player);
        await player.dataAfter(0, 15_000);
        const snapshot = await snapshotWhere(stack.gateway.url, (s) => s.streams.length === n + 1);
        for (const stream of snapshot.streams) {
          const [client] = stream.clients as unknown as Array<{ worker_id: string }>;
          if (client) workerOf.set(stream.id, client.worker_id);
        }
        if (new Set(workerOf.values()).size === 2) break;
      }
      const pids = workerPids(stack.gateway.proc.pid!);
      expect(pids).toHaveLength(2);
      const memory = rssSampler(pids);
      const since = performance.now();
      try {
        await rename(join(dir, 'generated.xml.gz'), source);
        const loaded = await waitFor(async () => ((await health())?.ok ? await health() : null), {
          timeoutMs: 60_000 + MB * 3000,
          intervalMs: 500,
          what: `the ${MB} MB guide loaded`,
        });
        expect(loaded).toMatchObject({ channels: CHANNELS });
        const merged = stack.gateway.output
          .filter((l) => l.includes('guide refreshed'))
          .map((l) => JSON.parse(l) as { ms: number; channels: number; worker_id: string })
          .find((l) => l.channels === CHANNELS);
        const gapOn = (refresher: boolean) =>
          Math.max(
            0,
            ...players
              .filter((_, n) => (workerOf.get(idOf(n)) === merged?.worker_id) === refresher)
              .map((p) => p.longestGapSince(since)),
          );
        const [onRefresher, elsewhere] = [gapOn(true), gapOn(false)];
        const refreshGrowthMb = memory.growthMb();
        const served = performance.now();
        const bytes = await download(`${stack.gateway.url}/epg.xml`);
        const serveMs = performance.now() - served;
        const packed = performance.now();
        const gzBytes = await download(`${stack.gateway.url}/epg.xml.gz`);
        const packMs = performance.now() - packed;
        const gapMs = Math.max(...players.map((p) => p.longestGapSince(since)));
        const growthMb = memory.growthMb();
        console.log(
          `guide ${MB} MB, ${CHANNELS} channels, ${loaded!.programmes} programmes: merged in ${merged?.ms} ms ` +
            `(worker RSS +${refreshGrowthMb.toFixed(0)} MB, longest player gap ${onRefresher.toFixed(0)} ms on its worker, ${elsewhere.toFixed(0)} ms on the other); ` +
            `served ${(bytes / 2 ** 20).toFixed(0)} MB unpacked in ${serveMs.toFixed(0)} ms, ` +
            `${(gzBytes / 2 ** 20).toFixed(1)} MB as .gz in ${packMs.toFixed(0)} ms; overall RSS +${growthMb.toFixed(0)} MB, ` +
            `longest gap ${gapMs.toFixed(0)} ms over ${players.length} players`,
        );
        expect(bytes).toBeGreaterThan(MB * 2 ** 20 * 0.9);
        expect(gzBytes).toBeGreaterThan(0);
        expect(growthMb).toBeLessThan(100);
        expect(gapMs).toBeLessThan(500);
      } finally {
        memory.stop();
      }
    },
    180_000 + MB * 4000,
  );
});
