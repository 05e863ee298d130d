// The bench's hls scenario: many HLS players polling one channel over the workers (issue 12), from
// reader processes (hls-readers.mjs), against a static-file server under the same readers (issue 25).
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { decodeProbe, PROBE_PID } from '../../apps/engine-sim/dist/index.js';
import { startNodeProcess } from '../../packages/test-utils/dist/index.js';
import { Player } from './client.mjs';
import { get, mediaPlaylist, segmentUris } from './hls-player.mjs';
import { children } from './procstat.mjs';
import { cpuBetween, epoch, forkReaders, honesty, marks, Readers, readerCpu } from './readers.mjs';
import { median, percentile, sleep, startStack } from './stack.mjs';

const HLS_READERS = fileURLToPath(new URL('./hls-readers.mjs', import.meta.url));
const sum = (values) => values.reduce((a, b) => a + b, 0);
const sleepUntil = (at) => sleep(Math.max(0, at - epoch()));

/** `readers` hls-readers.mjs processes, each with its share of the players. */
class HlsCrowd extends Readers {
  static async start(readers) {
    return new HlsCrowd(await forkReaders(HLS_READERS, readers));
  }

  /**
   * `count` players of `manifestUrl` arriving 250 a second (one 2 s reload interval for 500), as a
   * crowd would, not in one instant; the readers interleave over the same span. Returns the moment
   * (epoch ms) the last one arrives.
   */
  play(manifestUrl, count) {
    const startAt = epoch() + 300;
    const spreadMs = (count / 250) * 1000;
    for (const [i, proc] of this.procs.entries())
      proc.send({ type: 'play', url: manifestUrl, count: this.share(count, i), startAt, spreadMs });
    return startAt + spreadMs;
  }

  /** What every reader's players did between marks `from` and `to`, put together. */
  async report(from, to) {
    const parts = await this.ask({ type: 'report', from, to });
    const failed = parts.find((p) => p.error);
    if (failed) throw new Error(`hls reader: ${failed.error}`);
    return {
      players: sum(parts.map((p) => p.players)),
      failures: parts.flatMap((p) => p.failures),
      segmentMs: parts.flatMap((p) => p.segmentMs),
      playlistMs: parts.flatMap((p) => p.playlistMs),
      segmentBytes: sum(parts.map((p) => p.segmentBytes)),
      segmentErrors: sum(parts.map((p) => p.segmentErrors)),
      readerCpuPct: readerCpu(
        parts.map((p) => p.marks),
        from,
        to,
      ),
      lagP99Ms: parts.map((p) => Math.round(p.lagMs.p99)),
    };
  }
}

/**
 * `count` players of `manifest` from `readers` processes; the window opens 6 s after the last one
 * arrived (all at the live edge, three reloads each) and lasts `seconds`. `beside(from, to)` runs
 * in this process over the same window; `pids` are the server's processes whose CPU counts.
 */
async function measure(manifest, { count, seconds, readers, pids }, beside = async () => null) {
  const crowd = await HlsCrowd.start(readers);
  try {
    const from = crowd.play(manifest, count) + 6000;
    const to = from + seconds * 1000;
    crowd.mark('w0', from);
    crowd.mark('w1', to);
    const [cpu, extra] = await Promise.all([cpuBetween(pids, from, to), beside(from, to)]);
    await sleep(300); // every reader has taken its w1 mark
    const players = await crowd.report('w0', 'w1');
    return { players, cpu, extra, ...honesty(players.readerCpuPct, cpu.pressurePct) };
  } finally {
    await crowd.close();
  }
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
 * How far behind live a segment is when it becomes available: a watcher in this process (apart
 * from the readers' load) polls the playlist every 100 ms until `until` (epoch ms); for each new
 * segment, the time it was first listed less the send time of its first probe.
 */
async function watchAvailability(manifestUrl, until) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const media = await mediaPlaylist(agent, manifestUrl);
  const known = new Set();
  const delays = [];
  let first = true;
  while (epoch() < until) {
    const list = await get(agent, media);
    const listedAt = epoch();
    for (const uri of segmentUris(list.body)) {
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

/** Redis command counts at two moments (epoch ms), and the seconds between the two reads. */
async function redisCallsBetween(redis, from, to) {
  await sleepUntil(from);
  const calls0 = await redis.commandCalls();
  const t0 = epoch();
  await sleepUntil(to);
  const calls1 = await redis.commandCalls();
  return { calls0, calls1, seconds: (epoch() - t0) / 1000 };
}

/** The same players against the static-file baseline server, from the same number of readers. */
async function baseline({ count, seconds, bitrate, readers }) {
  const server = await startNodeProcess('scripts/bench/hls-baseline.mjs', { env: { SEGMENT_BYTES: String((bitrate / 8) * 2) } });
  try {
    return await measure(`${server.url}/manifest.m3u8`, { count, seconds, readers, pids: [server.proc.pid] });
  } finally {
    await server.stop();
  }
}

export async function hls({ players: count, seconds, bitrate, workers, readers }) {
  // The baseline runs half its window before the proxy and half after, so a load the other users
  // of the machine put on it meanwhile weighs on both sides alike.
  const before = await baseline({ count, seconds: seconds / 2, bitrate, readers });
  const stack = await startStack({ bitrate, workers });
  const id = 'ab'.repeat(20);
  const manifest = `${stack.gateway.url}/ace/manifest.m3u8?id=${id}`;
  // A TS player of the same channel: the delay behind live HLS is compared with.
  const tsPlayer = new Player(stack.streamUrl(id), { sampleEvery: 1 });
  await sleep(2000);
  // Redis commands of the channel without HLS players (owner appends, the TS player's fetches),
  // so the HLS players' own share can be told apart.
  const before0 = await stack.redis.commandCalls();
  const beforeFrom = performance.now();
  await sleep(5000);
  const before1 = await stack.redis.commandCalls();
  const beforeS = (performance.now() - beforeFrom) / 1000;
  const workerPids = children(stack.primaryPid);
  // The window: every figure below counts only what happened inside it.
  const o = await measure(manifest, { count, seconds, readers, pids: workerPids }, async (from, to) => {
    const [delays, redis] = await Promise.all([
      sleepUntil(from).then(() => watchAvailability(manifest, to)),
      redisCallsBetween(stack.redis, from, to),
    ]);
    return { delays, redis, from, to };
  });
  const { players: stats, cpu } = o;
  const { delays, redis, from, to } = o.extra;
  const segmentRequests = stats.segmentMs.length;
  // Calls in the window less what the channel made at the same rate without HLS players.
  const idle = (name) => (((before1.get(name) ?? 0) - (before0.get(name) ?? 0)) * redis.seconds) / beforeS;
  const diff = (name) => (redis.calls1.get(name) ?? 0) - (redis.calls0.get(name) ?? 0) - idle(name);
  let total = 0;
  for (const name of redis.calls1.keys()) total += diff(name);
  const tsLatency = tsPlayer.latencies.filter((l) => l.sentAt >= from && l.sentAt <= to).map((l) => l.ms);
  tsPlayer.close();
  await stack.stop();
  const after = await baseline({ count, seconds: seconds / 2, bitrate, readers });
  const base = {
    segmentMs: [...before.players.segmentMs, ...after.players.segmentMs],
    playlistMs: [...before.players.playlistMs, ...after.players.playlistMs],
  };
  // The baseline's readers and pressure: the higher of its two halves.
  const baseReaderPct = before.players.readerCpuPct.map((pct, i) => Math.max(pct, after.players.readerCpuPct[i]));
  const baseHonesty = honesty(baseReaderPct, Math.max(before.cpu.pressurePct, after.cpu.pressurePct));
  return {
    scenario: 'hls',
    players: count,
    readers,
    players_failed: stats.failures.length,
    segment_requests: segmentRequests,
    segment_errors: stats.segmentErrors,
    delivered_vs_expected: stats.segmentBytes / ((count * bitrate * cpu.seconds) / 8),
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
    worker_cpu_pct: cpu.perPid.map((s) => Math.round((s / cpu.seconds) * 100)),
    load_generator_cpu_pct: stats.readerCpuPct,
    load_generator_max_cpu_pct: o.load_generator_max_cpu_pct,
    cpu_pressure_pct: o.cpu_pressure_pct,
    // A reader that lags stretches the response times it stamps: this much can be the load generator's.
    load_generator_lag_p99_ms: stats.lagP99Ms.join('/'),
    baseline_segment_response_p50_ms: median(base.segmentMs),
    baseline_segment_response_p99_ms: percentile(base.segmentMs, 99),
    segment_p50_ratio_to_baseline: median(stats.segmentMs) / median(base.segmentMs),
    segment_p99_ratio_to_baseline: percentile(stats.segmentMs, 99) / percentile(base.segmentMs, 99),
    baseline_playlist_response_p50_ms: median(base.playlistMs),
    baseline_players_failed: before.players.failures.length + after.players.failures.length,
    baseline_load_generator_cpu_pct: baseReaderPct,
    baseline_load_generator_max_cpu_pct: baseHonesty.load_generator_max_cpu_pct,
    baseline_cpu_pressure_pct: baseHonesty.cpu_pressure_pct,
    baseline_limited_by_load_generator: baseHonesty.limited_by_load_generator,
    baseline_machine_starved: baseHonesty.machine_starved,
    // The run is marked when the proxy's window or either baseline half was.
    ...marks(o, before, after),
  };
}
