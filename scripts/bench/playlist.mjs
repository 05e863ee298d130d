// `node scripts/bench/playlist.mjs [--entries N] [--requests N]`: how fast a two-worker gateway in
// Redis mode serves a big merged playlist, against GET /health on the same gateway as baseline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack, tempDir } from '../../packages/test-utils/dist/index.js';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '5000' }, requests: { type: 'string', default: '200' } },
});
const entries = Number(values.entries);
const requests = Number(values.requests);

// A list as scrapers publish them: CRLF, an EPG header, 20 groups, acestream:// links.
const lines = ['#EXTM3U url-tvg="http://epg.example/guide.xml"'];
for (let n = 0; n < entries; n++) {
  lines.push(`#EXTINF:-1 tvg-id="c${n}" tvg-logo="http://logo.example/${n}.png" group-title="G${n % 20}",Channel ${n}`);
  lines.push(`acestream://${`${n.toString(16).padStart(8, '0')}ab`.repeat(4)}`);
}
const file = join(tempDir('bench-playlist'), 'list.m3u');
writeFileSync(file, `${lines.join('\r\n')}\r\n`);

/** Median latency of `n` sequential requests (body read in full), ms. */
async function median(url, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

// No engine: the playlist needs none. Its url-tvg (epg.example) is not fetched: the playlist alone is measured.
const stack = await startStack({
  redis: 'private',
  sims: 0,
  workers: 2,
  testDefaults: false,
  env: { PLAYLIST_SOURCES: file, EPG_FROM_PLAYLISTS: 'false' },
});
const { gateway } = stack;
try {
  await median(`${gateway.url}/playlist.m3u`, 20);
  const runs = [];
  for (let run = 0; run < 3; run++) {
    const health = await median(`${gateway.url}/health`, requests);
    const m3u = await median(`${gateway.url}/playlist.m3u`, requests);
    const group = await median(`${gateway.url}/playlist.m3u?group=G3`, requests);
    const json = await median(`${gateway.url}/playlist.json`, requests);
    runs.push({ health, m3u, group, json });
    console.log(JSON.stringify({ run, health_ms: health, m3u_ms: m3u, group_ms: group, json_ms: json }));
  }
  const mid = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[1];
  console.log(
    `${entries} entries, median of 3 runs of ${requests} sequential requests: /health ${mid('health').toFixed(2)} ms, ` +
      `/playlist.m3u ${mid('m3u').toFixed(2)} ms (${(mid('m3u') / mid('health')).toFixed(1)}x), ` +
      `?group= ${mid('group').toFixed(2)} ms, /playlist.json ${mid('json').toFixed(2)} ms`,
  );
} finally {
  await stack.stop();
}
