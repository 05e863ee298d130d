// The bench scenarios of issue 5: fanout, many, join, failover. Each returns rows for the table.

import { makeSampleTs, tempDir, waitFor } from '../../packages/test-utils/dist/index.js';
import { Player } from './client.mjs';
import { children, sample, usage } from './procstat.mjs';
import { median, openPlayers, percentile, sleep, slope, startBaselineStack, startStack } from './stack.mjs';

const id = (n) => n.toString(16).padStart(40, 'a');

/**
 * Bytes, loss and latency of `players` over `seconds`: only probes sent inside the window count,
 * so a backlog delivered at join time does not pass for latency.
 */
async function window(players, seconds, pids) {
  const before = players.map((p) => ({ data: p.dataBytes, loss: p.loss }));
  const startWall = performance.timeOrigin + performance.now();
  const cpu0 = pids.map(sample);
  await sleep(seconds * 1000);
  const cpu1 = pids.map(sample);
  return {
    bytes: players.map((p, i) => p.dataBytes - before[i].data),
    loss: players.reduce((a, p, i) => a + p.loss - before[i].loss, 0),
    latencies: players.flatMap((p) => p.latencies.filter((l) => l.sentAt >= startWall).map((l) => l.ms)),
    usage: pids.map((pid, i) => ({ pid, ...usage(cpu0[i], cpu1[i]) })),
  };
}

/** Waits until every player is at the live edge (latest probe under a second old), up to 60 s. */
async function caughtUp(players) {
  await waitFor(() => players.every((p) => p.ended || p.lastLatency < 1000), {
    timeoutMs: 60_000,
    what: 'players at the live edge',
  }).catch(() => {});
}

export async function fanout({ clients, seconds, bitrate, workers }) {
  const expected = (bitrate / 8) * seconds;
  // Baseline first, in its own processes, with the same clients and window.
  const base = await startBaselineStack({ bitrate });
  const basePlayers = await openPlayers(base.url, clients, { tolerant: true, timeoutMs: 10_000 });
  await caughtUp(basePlayers);
  const baseWin = await window(basePlayers, seconds, [base.baseline.proc.pid]);
  for (const p of basePlayers) p.close();
  await base.stop();
  const baseDelivered = baseWin.bytes.reduce((a, b) => a + b, 0) / (clients * expected);

  const stack = await startStack({ bitrate, workers });
  const workerPids = children(stack.primaryPid);
  // Memory per client: the workers' RSS with one player each, then after each quarter of the
  // players has joined and reached the live edge. The slope over the quarters is what one more
  // player costs; the growth from idle also holds one-off costs (V8's young generation grows with
  // the allocation rate, code gets compiled).
  const players = await openPlayers(stack.streamUrl(id(1)), workers, { batch: 1 });
  await sleep(2000);
  const rssNow = () => workerPids.map(sample).reduce((a, s) => a + (s?.rss ?? 0), 0);
  const idleRss = rssNow();
  const steps = [];
  for (let q = 1; q <= 4; q++) {
    const target = Math.max(players.length, Math.round((clients * q) / 4));
    players.push(...(await openPlayers(stack.streamUrl(id(1)), target - players.length)));
    await caughtUp(players);
    await sleep(2000);
    steps.push([players.length, rssNow()]);
  }
  const lossBeforeWindow = players.reduce((a, p) => a + p.loss, 0);
  const calls0 = sum(await stack.redis.commandCalls());
  const win = await window(players, seconds, workerPids);
  const calls1 = sum(await stack.redis.commandCalls());
  const delivered = win.bytes.reduce((a, b) => a + b, 0) / (clients * expected);
  const result = {
    scenario: 'fanout',
    clients,
    connected: players.filter((p) => p.status === 200).length,
    completed: players.filter((p) => !p.ended).length,
    delivered_vs_expected: delivered,
    baseline_connected: basePlayers.filter((p) => p.status === 200).length,
    baseline_delivered_vs_expected: baseDelivered,
    ratio_to_baseline: delivered / baseDelivered,
    loss: win.loss,
    loss_while_joining: lossBeforeWindow,
    out_of_order: players.reduce((a, p) => a + p.outOfOrder, 0),
    latency_p50_ms: median(win.latencies),
    latency_p99_ms: percentile(win.latencies, 99),
    baseline_latency_p99_ms: percentile(baseWin.latencies, 99),
    ttfb_p50_ms: median(players.map((p) => p.ttfb)),
    ttfb_p99_ms: percentile(
      players.map((p) => p.ttfb),
      99,
    ),
    worker_cpu_pct: win.usage.map((u) => Math.round(u.cpuPct)),
    worker_rss_mb: win.usage.map((u) => Math.round(u.rssMb)),
    rss_per_added_client_kb: slope(steps) / 1024,
    rss_growth_from_idle_per_client_kb: (steps[3][1] - idleRss) / (clients - workers) / 1024,
    rss_steps_mb: steps.map(([, rss]) => Math.round(rss / 2 ** 20)),
    redis_commands_per_s: (calls1 - calls0) / seconds,
  };
  for (const p of players) p.close();
  await stack.stop();
  return result;
}

export async function join({ seconds, intervalMs, bitrate, workers }) {
  const stack = await startStack({ bitrate, workers });
  const anchor = new Player(stack.streamUrl(id(2)));
  await sleep(3000);
  const joiners = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    joiners.push(new Player(stack.streamUrl(id(2))));
    await sleep(intervalMs);
  }
  await sleep(1000);
  const ttfb = joiners.map((p) => p.ttfb).filter((t) => !Number.isNaN(t));
  const result = {
    scenario: 'join',
    joins: joiners.length,
    answered: ttfb.length,
    first_client_ttfb_ms: anchor.ttfb,
    join_ttfb_p50_ms: median(ttfb),
    join_ttfb_p99_ms: percentile(ttfb, 99),
    loss: joiners.reduce((a, p) => a + p.loss, 0) + anchor.loss,
  };
  for (const p of [anchor, ...joiners]) p.close();
  await stack.stop();
  return result;
}

export async function failover({ kills, everyS, clients, bitrate, workers }) {
  const stack = await startStack({ bitrate, workers, env: { PROXY_GRACE_PERIOD: '5' } });
  const stream = id(3);
  let players = await openPlayers(stack.streamUrl(stream), clients, { batch: 1 });
  const gaps = [];
  let disconnectedElsewhere = 0;
  for (let k = 0; k < kills; k++) {
    await sleep(everyS * 1000);
    const owner = await stack.redis.redis.get(`ace_proxy:stream:${stream}:owner`);
    if (!owner) throw new Error('no owner to kill');
    const ownerPid = Number(owner.split(':').pop());
    for (const p of players) p.markGap();
    process.kill(ownerPid, 'SIGKILL');
    await sleep(3000);
    // Players of the killed worker were cut off; a player elsewhere must not have been, and the
    // longest silence it saw since the kill is the failover gap.
    const onOthers = players.filter((p) => !p.ended);
    for (const p of onOthers) gaps.push(p.gapSinceMark);
    const cut = players.filter((p) => p.ended).length;
    // Reconnect the cut-off players, as their TVs would.
    players = [...onOthers, ...(await openPlayers(stack.streamUrl(stream), cut, { batch: 1 }))];
    disconnectedElsewhere += onOthers.filter((p) => p.ended).length;
  }
  const result = {
    scenario: 'failover',
    kills,
    samples: gaps.length,
    gap_median_ms: median(gaps),
    gap_max_ms: Math.max(...gaps),
    disconnected_on_other_workers: disconnectedElsewhere,
    engine_sessions_active: (await (await fetch(`${stack.sim.url}/sim/sessions`)).json()).active,
  };
  for (const p of players) p.close();
  await stack.stop();
  return result;
}

export async function many({ streams, perStream, seconds, bitrate, workers, bufferTtl }) {
  const stack = await startStack({ bitrate, workers, env: { PROXY_BUFFER_TTL: String(bufferTtl) } });
  // Memory the streams hold: used_memory without client buffers (replies on their way to a busy
  // worker, reported apart as redis_client_buffers_mb: they are not the streams' storage).
  const memory = async () => {
    const info = await stack.redis.redis.info('memory');
    const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { stored: field('used_memory') - field('mem_clients_normal'), clients: field('mem_clients_normal') };
  };
  const empty = await memory();
  const players = [];
  for (let s = 0; s < streams; s++) players.push(await openPlayers(stack.streamUrl(id(100 + s)), perStream));
  await sleep(Math.max(3000, bufferTtl * 1000 + 1000));
  const flat = players.flat();
  const win = await window(flat, seconds, children(stack.primaryPid));
  const expected = (bitrate / 8) * seconds;
  const perStreamDelivered = players.map((group) => Math.min(...group.map((p) => win.bytes[flat.indexOf(p)] / expected)));
  const now = await memory();
  const used = now.stored - empty.stored;
  const result = {
    scenario: 'many',
    streams,
    clients: flat.length,
    worst_stream_delivered_vs_expected: Math.min(...perStreamDelivered),
    streams_at_full_rate: perStreamDelivered.filter((d) => d > 0.95).length,
    loss: win.loss,
    redis_bytes_per_stream: used / streams,
    redis_bound_bytes_per_stream: 1.1 * (bitrate / 8) * bufferTtl,
    redis_per_stream_vs_bitrate_ttl: used / streams / ((bitrate / 8) * bufferTtl),
    redis_client_buffers_mb: now.clients / 2 ** 20,
    worker_cpu_pct: win.usage.map((u) => Math.round(u.cpuPct)),
  };
  for (const p of flat) p.close();
  await stack.stop();
  return result;
}

function sum(map) {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}

/** Request to first decodable frame (PAT, PMT, a complete keyframe) on a real H.264/AAC channel. */
export async function startup({ streams, joins, workers }) {
  const file = await makeSampleTs(tempDir('bench-startup'), 10, { size: '1280x720' });
  const stack = await startStack({ workers, simEnv: { SOURCE: 'file', SOURCE_FILE: file } });
  const firstFrame = (p) => waitFor(() => !Number.isNaN(p.firstFrameMs) || p.ended, { what: 'a first frame', timeoutMs: 15_000 });
  const first = [];
  const joined = [];
  for (let s = 0; s < streams; s++) {
    const url = stack.streamUrl(id(500 + s));
    const opener = new Player(url);
    await firstFrame(opener);
    first.push(opener.firstFrameMs);
    for (let j = 0; j < joins; j++) {
      // Join at scattered moments of the GOP.
      await sleep(150 + Math.random() * 500);
      const joiner = new Player(url);
      await firstFrame(joiner);
      joined.push(joiner.firstFrameMs);
      joiner.close();
    }
    opener.close();
  }
  await stack.stop();
  return {
    scenario: 'startup',
    channels: streams,
    first_client_frame_p50_ms: median(first),
    first_client_frame_p99_ms: percentile(first, 99),
    joins: joined.length,
    joiner_frame_p50_ms: median(joined),
    joiner_frame_p99_ms: percentile(joined, 99),
  };
}
