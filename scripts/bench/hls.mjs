// The bench's hls scenario: many HLS players polling one channel over the workers (issue 12).
import http from 'node:http';
import { decodeProbe, PROBE_PID } from '../../apps/engine-sim/dist/index.js';
import { startNodeProcess } from '../../packages/test-utils/dist/index.js';
import { Player } from './client.mjs';
import { children, sample, usage } from './procstat.mjs';
import { median, percentile, sleep, startStack } from './stack.mjs';

/**
 * GET over the player's own keep-alive connection; resolves with status, length, time to the last
 * byte and (unless `countOnly`, for segments) the body.
 */
function get(agent, url, countOnly = false) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const parts = [];
      let length = 0;
      res.on('data', (d) => {
        length += d.length;
        if (!countOnly) parts.push(d);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, length, body: Buffer.concat(parts), ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}

/** The first probe's send time in a segment (ms since the epoch), or NaN. */
function firstProbe(bytes) {
  for (let off = 0; off + 188 <= bytes.length; off += 188) {
    if ((((bytes[off + 1] & 0x1f) << 8) | bytes[off + 2]) !== PROBE_PID) continue;
    const probe = decodeProbe(bytes, off);
    if (probe) return probe.sentAt;
  }
  return Number.NaN;
}

/**
 * One HLS player as hls.js or ffmpeg behaves at the live edge: reloads the media playlist every
 * target duration and fetches each segment it has not fetched yet, starting three from the end.
 */
class HlsPlayer {
  constructor(manifestUrl, stats) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.stats = stats;
    this.stopped = false;
    this.running = this.run(manifestUrl).catch((err) => {
      stats.failures.push(err.message);
    });
  }

  async run(manifestUrl) {
    const master = await get(this.agent, manifestUrl);
    if (master.status !== 200) throw new Error(`manifest answered ${master.status}`);
    const media = new URL(master.body.toString().trim().split('\n').at(-1), manifestUrl).href;
    let next = -1;
    while (!this.stopped) {
      this.stats.reloads++;
      const reloadAt = performance.now() + 2000;
      const list = await get(this.agent, media);
      this.stats.playlistMs.push(list.ms);
      const uris = list.body
        .toString()
        .split('\n')
        .filter((l) => l.endsWith('.ts'));
      const sequences = uris.map((u) => Number(u.slice(0, -3)));
      if (next < 0) next = sequences.at(-3) ?? sequences[0];
      for (const n of sequences) {
        if (n < next || this.stopped) continue;
        const seg = await get(this.agent, new URL(`${n}.ts`, media).href, true);
        if (seg.status === 200) {
          this.stats.segmentMs.push(seg.ms);
          this.stats.segmentBytes += seg.length;
        } else this.stats.segmentErrors++;
        next = n + 1;
      }
      await sleep(Math.max(0, reloadAt - performance.now()));
    }
  }

  async stop() {
    this.stopped = true;
    await this.running;
    this.agent.destroy();
  }
}

/**
 * How far behind live a segment is when it becomes available: a watcher polls the playlist every
 * 100 ms; for each new segment, the time it was first listed less the send time of its first probe.
 */
async function watchAvailability(manifestUrl, until) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const master = await get(agent, manifestUrl);
  const media = new URL(master.body.toString().trim().split('\n').at(-1), manifestUrl).href;
  const known = new Set();
  const delays = [];
  let first = true;
  while (performance.now() < until) {
    const list = await get(agent, media);
    const listedAt = performance.timeOrigin + performance.now();
    for (const uri of list.body
      .toString()
      .split('\n')
      .filter((l) => l.endsWith('.ts'))) {
      if (known.has(uri)) continue;
      known.add(uri);
      if (first) continue; // listed before the watcher started: its availability time is unknown
      const seg = await get(agent, new URL(uri, media).href);
      const sentAt = firstProbe(seg.body);
      if (!Number.isNaN(sentAt)) delays.push(listedAt - sentAt);
    }
    first = false;
    await sleep(100);
  }
  agent.destroy();
  return delays;
}

function freshStats() {
  return { playlistMs: [], segmentMs: [], segmentBytes: 0, segmentErrors: 0, failures: [], reloads: 0 };
}

async function startPlayers(count, manifest, stats) {
  const players = [];
  // Players arrive over 2 s (one reload interval), as a crowd would, not all in one instant.
  for (let i = 0; i < count; i++) {
    players.push(new HlsPlayer(manifest, stats));
    if (i % 25 === 24) await sleep(100);
  }
  await sleep(6000);
  return players;
}

/** The same players against the static-file baseline server, over the same window. */
async function baseline(count, seconds, bitrate) {
  const server = await startNodeProcess('scripts/bench/hls-baseline.mjs', { env: { SEGMENT_BYTES: String((bitrate / 8) * 2) } });
  const stats = freshStats();
  const players = await startPlayers(count, `${server.url}/manifest.m3u8`, stats);
  stats.segmentMs.length = 0;
  stats.playlistMs.length = 0;
  await sleep(seconds * 1000);
  const result = { segmentMs: [...stats.segmentMs], playlistMs: [...stats.playlistMs] };
  await Promise.all(players.map((p) => p.stop()));
  await server.stop();
  return result;
}

export async function hls({ players: count, seconds, bitrate, workers }) {
  // The baseline runs half its window before the proxy and half after, so a load the other users
  // of the machine put on it meanwhile weighs on both sides alike.
  const before = await baseline(count, seconds / 2, bitrate);
  const stack = await startStack({ bitrate, workers });
  const id = 'ab'.repeat(20);
  const manifest = `${stack.gateway.url}/ace/manifest.m3u8?id=${id}`;
  // A TS player of the same channel: the delay behind live HLS is compared with.
  const tsPlayer = new Player(stack.streamUrl(id), { sampleEvery: 1 });
  const stats = freshStats();
  await sleep(2000);
  // Redis commands of the channel without HLS players (owner appends, the TS player's fetches),
  // so the HLS players' own share can be told apart.
  const before0 = await stack.redis.commandCalls();
  const beforeFrom = performance.now();
  await sleep(5000);
  const before1 = await stack.redis.commandCalls();
  const beforeS = (performance.now() - beforeFrom) / 1000;
  const players = await startPlayers(count, manifest, stats);
  // The window: every figure below counts only what happened inside it.
  stats.playlistMs.length = 0;
  stats.segmentMs.length = 0;
  stats.segmentBytes = 0;
  const workerPids = children(stack.primaryPid);
  const cpu0 = workerPids.map(sample);
  const calls0 = await stack.redis.commandCalls();
  const tsFrom = performance.timeOrigin + performance.now();
  const windowFrom = performance.now();
  const delays = await watchAvailability(manifest, windowFrom + seconds * 1000);
  const calls1 = await stack.redis.commandCalls();
  const windowS = (performance.now() - windowFrom) / 1000;
  const cpu1 = workerPids.map(sample);
  const segmentRequests = stats.segmentMs.length;
  // Calls in the window less what the channel made at the same rate without HLS players.
  const idle = (name) => (((before1.get(name) ?? 0) - (before0.get(name) ?? 0)) * windowS) / beforeS;
  const diff = (name) => (calls1.get(name) ?? 0) - (calls0.get(name) ?? 0) - idle(name);
  let total = 0;
  for (const name of calls1.keys()) total += diff(name);
  const tsLatency = tsPlayer.latencies.filter((l) => l.sentAt >= tsFrom).map((l) => l.ms);
  await Promise.all(players.map((p) => p.stop()));
  tsPlayer.close();
  const result = {
    scenario: 'hls',
    players: count,
    players_failed: stats.failures.length,
    segment_requests: segmentRequests,
    segment_errors: stats.segmentErrors,
    delivered_vs_expected: stats.segmentBytes / ((count * bitrate * seconds) / 8),
    segment_response_p50_ms: median(stats.segmentMs),
    segment_response_p99_ms: percentile(stats.segmentMs, 99),
    playlist_response_p50_ms: median(stats.playlistMs),
    playlist_response_p99_ms: percentile(stats.playlistMs, 99),
    // Chunk reads (MGET) and segment-list reads (LRANGE): the segment path's Redis work.
    redis_chunk_reads_per_segment_request: diff('mget') / segmentRequests,
    redis_list_reads_per_segment_request: diff('lrange') / segmentRequests,
    // Every command the HLS players added (segment path, playlists, session refreshes, the watcher).
    redis_commands_per_segment_request: total / segmentRequests,
    redis_session_refreshes_per_segment_request: diff('pexpire') / segmentRequests,
    segment_available_behind_live_p50_ms: median(delays),
    segment_available_behind_live_max_ms: Math.max(...delays),
    ts_behind_live_p50_ms: median(tsLatency),
    ts_behind_live_p99_ms: percentile(tsLatency, 99),
    worker_cpu_pct: cpu0.map((a, i) => Math.round(usage(a, cpu1[i]).cpuPct)),
  };
  await stack.stop();
  const after = await baseline(count, seconds / 2, bitrate);
  const base = { segmentMs: [...before.segmentMs, ...after.segmentMs], playlistMs: [...before.playlistMs, ...after.playlistMs] };
  Object.assign(result, {
    baseline_segment_response_p50_ms: median(base.segmentMs),
    baseline_segment_response_p99_ms: percentile(base.segmentMs, 99),
    segment_p50_ratio_to_baseline: result.segment_response_p50_ms / median(base.segmentMs),
    segment_p99_ratio_to_baseline: result.segment_response_p99_ms / percentile(base.segmentMs, 99),
    baseline_playlist_response_p50_ms: median(base.playlistMs),
  });
  return result;
}
