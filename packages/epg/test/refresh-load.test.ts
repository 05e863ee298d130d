// A big guide refreshed in a worker that also feeds players: memory stays flat and the event loop
// keeps turning. 10 MB here; `EPG_GUIDE_MB=100` runs the issue's full size (the figures are logged).

import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { GuideService, RedisGuideStore } from '@acestream-proxy/epg';
import { parsePlaylist } from '@acestream-proxy/playlist';
import { backendSuite, tempDir, writeXmltvGuide } from '@acestream-proxy/test-utils';
import { beforeAll, expect, it } from '@jest/globals';

const MB = Number(process.env.EPG_GUIDE_MB ?? 10);
const CHANNELS = 2000;

/** Measures, while `work` runs, the peak RSS growth and the longest stall of a 10 ms timer (a player's next write). */
async function measured<T>(work: () => Promise<T>) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let last = performance.now();
  let longestGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  clearInterval(probe);
  histogram.disable();
  return { result, ms, rssGrowthMb: (peak - rssBefore) / 2 ** 20, longestGapMs: longestGap, maxLagMs: histogram.max / 1e6 };
}

backendSuite(
  'A big guide',
  (backend) => {
    const dir = tempDir('epg-load');
    const source = join(dir, 'guide.xml.gz');
    beforeAll(
      async () => {
        await writeXmltvGuide(source, CHANNELS, MB * 1024 * 1024);
      },
      60_000 + MB * 3000,
    );

    it(
      `of ${MB} MB and ${CHANNELS} channels is refreshed and served with RSS growth under 100 MB and no 500 ms stall`,
      async () => {
        const lines = ['#EXTM3U'];
        for (let n = 0; n < CHANNELS; n++)
          lines.push(`#EXTINF:-1 tvg-id="src.${n}",Channel ${n}`, `acestream://${n.toString(16).padStart(40, '0')}`);
        const current = { playlist: parsePlaylist(lines.join('\n')), version: 1 };
        const store = new RedisGuideStore({
          reads: await backend.connect('request'),
          writes: await backend.connect(),
          keys: backend.keys,
        });
        const guides = new GuideService({
          sources: [source],
          fromPlaylists: false,
          playlist: async () => current,
          guideNumbers: async () => new Map(),
          refreshIntervalMs: 3_600_000,
          store,
          logger: { warn: () => {}, info: () => {} },
          limits: { timeoutMs: 600_000, maxBytes: 2 ** 31, maxRedirects: 0, maxXmlBytes: 2 ** 31 },
        });
        const refresh = await measured(() => guides.refreshIfDue());
        const health = await guides.health();
        expect(health.sources[0]).toMatchObject({ ok: true, channels: CHANNELS });
        let served = 0;
        const serve = await measured(() =>
          guides.writeGuide(
            new Writable({
              write(chunk: Buffer, _encoding, done) {
                served += chunk.length;
                done();
              },
            }),
            { gzip: false },
          ),
        );
        const figures = (name: string, m: typeof refresh) =>
          `${name} ${(m.ms / 1000).toFixed(1)} s, RSS +${m.rssGrowthMb.toFixed(0)} MB, longest timer gap ${m.longestGapMs.toFixed(0)} ms, max loop lag ${m.maxLagMs.toFixed(0)} ms`;
        console.log(
          `${MB} MB guide (${health.sources[0]!.bytes} bytes gzip, ${health.sources[0]!.programmes} programmes): ${figures('refresh', refresh)}; ${figures(`serving ${(served / 2 ** 20).toFixed(0)} MB`, serve)}`,
        );
        expect(served).toBeGreaterThan(MB * 1024 * 1024 * 0.9);
        for (const m of [refresh, serve]) {
          expect(m.rssGrowthMb).toBeLessThan(100);
          expect(m.longestGapMs).toBeLessThan(500);
        }
      },
      60_000 + MB * 3000,
    );
  },
  { only: ['redis'] },
);
