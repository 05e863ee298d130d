// The crowd scenarios of issue 14 (kickoff, joins, cpu): thousands of players from several reader
// processes, the proxy and the bare fan-out baseline measured under the same load in the same run.
import { fileURLToPath } from 'node:url';
import { children, cpuPressureUs, sample } from './procstat.mjs';
import { cpuBetween, epoch, forkReaders, honesty, marks, Readers, readerCpu } from './readers.mjs';
import { median, percentile, sleep, slope, startBaselineStack, startFloorStack, startStack } from './stack.mjs';

const id = (n) => n.toString(16).padStart(40, 'c');
const CROWD = fileURLToPath(new URL('./crowd.mjs', import.meta.url));

/** `readers` crowd.mjs processes, each with its share of the players. */
class Crowd extends Readers {
  static async start(readers) {
    return new Crowd(await forkReaders(CROWD, readers));
  }

  open(url, count, options) {
    // Readers interleave over the same span, so the storm is even whatever the reader count.
    for (const [i, proc] of this.procs.entries()) proc.send({ type: 'open', url, count: this.share(count, i), ...options });
  }

  async report() {
    const parts = await this.ask({ type: 'report' });
    // Each player carries its reader's report time, for rates up to the report.
    return {
      players: parts.flatMap((p) => p.players.map((player) => ({ ...player, reportedAt: p.at }))),
      readers: parts.map((p) => p.marks),
      lags: parts.map((p) => p.lagMs),
    };
  }
}

function windowBytes(report, from, to) {
  let total = 0;
  const perPlayer = [];
  let offset = 0;
  for (const m of report.readers) {
    const n = m[to].bytes.length;
    for (let i = 0; i < n; i++) {
      const b = m[to].bytes[i] - (m[from].bytes[i] ?? 0);
      total += b;
      perPlayer.push(b / ((m[to].at - m[from].at) / 1000));
    }
    offset += n;
  }
  return { total, perPlayer, players: offset };
}

async function anchorOn(url) {
  // A channel that is already running, as at a kick-off: one viewer for a few seconds first.
  const crowd = await Crowd.start(1);
  crowd.open(url, 1, { startAt: epoch(), spreadMs: 0, firstFrame: false });
  await sleep(2000);
  // The machine's CPU pressure over the last 2 s before a storm: during one, the proxy's workers
  // and the readers keep both cores busy by design, so the pressure in the window says nothing of
  // other work; before it, a quiet machine shows next to none.
  const p0 = cpuPressureUs();
  await sleep(2000);
  const p1 = cpuPressureUs();
  crowd.pressureBeforePct = p0 === null || p1 === null ? Number.NaN : ((p1 - p0) / 1000 / 2000) * 100;
  return crowd;
}

/**
 * One storm on `url`: `clients` players within `spreadMs`, the window from 3 s after the last
 * connect (issue 25: measured once the joins are over, not while their backlogs are written) for
 * 8 s; `pids` are the server's processes whose CPU counts.
 */
async function storm(url, { clients, spreadMs, readers, bitrate, pids, metricsUrl }) {
  const anchor = await anchorOn(url);
  const crowd = await Crowd.start(readers);
  const t0 = epoch() + 500;
  const byteRate = bitrate / 8;
  crowd.open(url, clients, { startAt: t0, spreadMs, firstFrame: true, fullRateAfterMs: 5000 });
  const from = t0 + spreadMs + 3000;
  const to = from + 8000;
  crowd.mark('w0', from);
  crowd.mark('w1', to);
  const { cpuS, pressurePct } = await cpuBetween(pids, from, to);
  // How the storm was shared out over the workers, at the window's end.
  const split = metricsUrl ? await perWorker(metricsUrl, ['acestream_proxy_clients', 'acestream_proxy_client_skips_total']) : {};
  await sleep(300);
  const report = await crowd.report();
  // Time to first byte and picture of players the window left waiting: up to 30 s after the storm.
  let late = report;
  const pending = (r) => r.players.some((p) => !p.ended && (Number.isNaN(p.firstFrameMs ?? Number.NaN) || p.status === 0));
  while (pending(late) && epoch() < t0 + 30_000) {
    await sleep(500);
    late = await crowd.report();
  }
  const win = windowBytes(report, 'w0', 'w1');
  const end = report.readers[0].w1;
  const players = report.players;
  // At full rate 5 s after its connect: from then to the window's end it received the stream's rate.
  const fullRate = players.filter((p) => {
    if (!p.later || p.ended || p.later.at >= end.at - 1000) return false;
    return p.bytes - p.later.bytes >= 0.9 * byteRate * ((p.reportedAt - p.later.at) / 1000);
  }).length;
  const ttfb = late.players.map((p) => p.ttfbMs).filter((t) => t !== null && !Number.isNaN(t));
  const frame = late.players.map((p) => p.firstFrameMs).filter((t) => t !== null && !Number.isNaN(t));
  const connects = late.players.map((p) => p.connectMs).filter((t) => t !== null && !Number.isNaN(t));
  const result = {
    tcp_connected: connects.length,
    connect_p50_ms: median(connects),
    connect_p99_ms: connects.length === clients ? percentile(connects, 99) : Number.POSITIVE_INFINITY,
    answered_in_window: players.filter((p) => p.status === 200).length,
    dropped: late.players.filter((p) => p.ended).length,
    ttfb_p50_ms: median(ttfb),
    ttfb_p99_ms: ttfb.length === clients ? percentile(ttfb, 99) : Number.POSITIVE_INFINITY,
    first_picture_p99_ms: frame.length === clients ? percentile(frame, 99) : Number.POSITIVE_INFINITY,
    at_full_rate_within_5s: fullRate,
    window_mb_per_s: win.total / 8 / 2 ** 20,
    slowest_player_mb_per_s: Math.min(...win.perPlayer) / 2 ** 20,
    server_cpu_s_per_gb: cpuS / (win.total / 2 ** 30),
    load_generator_cpu_pct: readerCpu(report.readers, 'w0', 'w1'),
    ...honesty(readerCpu(report.readers, 'w0', 'w1'), pressurePct, anchor.pressureBeforePct),
    ...(metricsUrl
      ? {
          players_per_worker: split.acestream_proxy_clients.join('/'),
          jumps_per_worker: split.acestream_proxy_client_skips_total.join('/'),
        }
      : {}),
    // A reader that lags stamps first bytes late: this much of a TTFB is the load generator's.
    load_generator_lag_p99_ms: late.lags.map((l) => Math.round(l.p99)).join('/'),
  };
  await crowd.close();
  await anchor.close();
  return result;
}

const flat = (prefix, obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [`${prefix}${k}`, v]));

/** A flash crowd: `clients` players within a second on one running 8 Mbit/s channel. */
export async function kickoff({ clients, bitrate, workers, readers }) {
  const base = await startBaselineStack({ bitrate });
  const b = await storm(base.url, { clients, spreadMs: 1000, readers, bitrate, pids: [base.baseline.proc.pid] });
  await base.stop();
  const stack = await startStack({ bitrate, workers });
  const pids = [stack.primaryPid, ...children(stack.primaryPid)];
  const o = await storm(stack.streamUrl(id(14)), {
    clients,
    spreadMs: 1000,
    readers,
    bitrate,
    pids,
    metricsUrl: stack.gateway.url,
  });
  const skips = (await perWorker(stack.gateway.url, ['acestream_proxy_client_skips_total'])).acestream_proxy_client_skips_total;
  await stack.stop();
  return {
    scenario: 'kickoff',
    clients,
    ...o,
    live_edge_jumps: skips.reduce((a, b) => a + b, 0),
    window_vs_baseline: o.window_mb_per_s / b.window_mb_per_s,
    slowest_vs_baseline: o.slowest_player_mb_per_s / b.slowest_player_mb_per_s,
    ttfb_p99_vs_baseline: o.ttfb_p99_ms / b.ttfb_p99_ms,
    ...flat('baseline_', b),
    ...marks(o, b),
    uptime: await loadAverage(),
  };
}

/** With `--auth token` the gateway runs AUTH=token and every join carries a user's token (issue 21). */
const BENCH_API_KEY = 'bench-admin-key-0123456789';

/** A user without limits and its `/u/<token>` path, made through the admin API. */
async function benchUser(gatewayUrl) {
  const res = await fetch(`${gatewayUrl}/proxy/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`could not create the bench user: ${res.status} ${await res.text()}`);
  return `/u/${(await res.json()).token}`;
}

/**
 * Joins per second into a running channel: `joins` players at once, from the first connect to the
 * last first byte. `auth: 'token'` measures the same with AUTH=token (a user's token on every join:
 * the cached lookup and the atomic admit), to hold against `auth: 'none'` run for run.
 */
export async function joins({ joins: count, bitrate, workers, readers, auth = 'none' }) {
  const rate = async (url, pids, metricsUrl) => {
    const anchor = await anchorOn(url);
    const crowd = await Crowd.start(readers);
    const t0 = epoch() + 300;
    crowd.open(url, count, { startAt: t0, spreadMs: 0, firstFrame: false });
    const readerPids = crowd.procs.map((p) => p.pid);
    await sleep(t0 - epoch());
    // Whose CPU the joins took: the proxy's processes, and the load generator's.
    const cpuAt = () => [pids, readerPids].map((list) => list.reduce((sum, pid) => sum + (sample(pid)?.cpuS ?? 0), 0));
    const cpu0 = cpuAt();
    const pressure0 = cpuPressureUs();
    const pressureFrom = epoch();
    let report;
    const deadline = t0 + 30_000;
    do {
      await sleep(500);
      report = await crowd.report();
    } while (
      epoch() < deadline &&
      (report.players.length < count || report.players.some((p) => Number.isNaN(p.ttfbMs ?? Number.NaN) && !p.ended))
    );
    const answered = report.players.filter((p) => p.ttfbMs !== null && !Number.isNaN(p.ttfbMs));
    const first = Math.min(...report.players.map((p) => p.openedAt));
    const last = Math.max(...answered.map((p) => p.openedAt + p.ttfbMs));
    const [proxyCpuS, readersCpuS] = cpuAt().map((cpuS, i) => cpuS - cpu0[i]);
    const pressure1 = cpuPressureUs();
    const windowS = (epoch() - pressureFrom) / 1000;
    const pressurePct = pressure0 === null || pressure1 === null ? NaN : ((pressure1 - pressure0) / 1e6 / windowS) * 100;
    // Each reader's share: the readers' CPU over the window, split evenly (they open equal shares).
    const perReaderPct = ((readersCpuS / readers) * 100) / windowS;
    const split = metricsUrl ? await playersPerWorker(metricsUrl, answered.length + 1) : null;
    await crowd.close();
    await anchor.close();
    return {
      answered: answered.length,
      joins_per_s: answered.length / ((last - first) / 1000),
      ttfb_p99_ms: percentile(
        answered.map((p) => p.ttfbMs),
        99,
      ),
      // CPU from the storm until every player was answered (and up to one report interval after).
      proxy_cpu_ms_per_join: (proxyCpuS * 1000) / answered.length,
      load_generator_cpu_ms_per_join: (readersCpuS * 1000) / answered.length,
      ...honesty([Math.round(perReaderPct)], pressurePct, anchor.pressureBeforePct),
      ...(split && { players_per_worker: split }),
    };
  };
  // The floors: bare node:http on as many node:cluster workers as the gateway, sending once per
  // the gateway's default flush interval (issue 25). The join floor sends each joiner what the
  // proxy's joiners get, the last 3 s (PROXY_INITIAL_BEHIND_SECONDS) at once; the tick floor only
  // the latest tick (a join that sends 1/30 of the bytes: the cost of a bare accept and answer).
  const floorOf = async (backlogMs) => {
    const base = await startBaselineStack({ bitrate, workers, tickMs: 100, backlogMs });
    const result = await rate(base.url, [base.baseline.proc.pid, ...children(base.baseline.proc.pid)]);
    await base.stop();
    return result;
  };
  const b = await floorOf(3000);
  const t = await floorOf(0);
  const tokenEnv = auth === 'token' ? { AUTH: 'token', PROXY_API_KEY: BENCH_API_KEY } : {};
  const stack = await startStack({ bitrate, workers, env: tokenEnv });
  const userPath = auth === 'token' ? await benchUser(stack.gateway.url) : '';
  const url = stack.streamUrl(id(15)).replace('/ace/getstream', `${userPath}/ace/getstream`);
  const o = await rate(url, [stack.primaryPid, ...children(stack.primaryPid)], stack.gateway.url);
  await stack.stop();
  return {
    scenario: 'joins',
    auth,
    joins: count,
    bitrate,
    ...o,
    joins_vs_floor: o.joins_per_s / b.joins_per_s,
    cpu_per_join_vs_floor: o.proxy_cpu_ms_per_join / b.proxy_cpu_ms_per_join,
    joins_vs_tick_floor: o.joins_per_s / t.joins_per_s,
    cpu_per_join_vs_tick_floor: o.proxy_cpu_ms_per_join / t.proxy_cpu_ms_per_join,
    ...flat('floor_', b),
    ...flat('tick_floor_', t),
    ...marks(o, b, t),
    uptime: await loadAverage(),
  };
}

/** CPU per delivered GB in steady state, all proxy processes (Redis apart) against the bare fan-out. */
export async function cpu({ clients, seconds, bitrate, workers, readers }) {
  // RSS of the server's processes (the gateway's workers: those that hold the players).
  const rssOf = (pids) => pids.reduce((sum, pid) => sum + (sample(pid)?.rss ?? 0), 0);
  const steady = async (url, pids, rssPids = pids) => {
    const crowd = await Crowd.start(readers);
    // Memory per player: the server's RSS once each quarter of the players has joined and
    // settled (2 s); the slope over the quarters is what one more player costs, without the
    // stream's own cache and one-off costs (compiled code, V8's young generation).
    const rssSteps = [];
    let opened = 0;
    let t0 = epoch() + 300;
    for (let q = 1; q <= 4; q++) {
      const count = Math.round((clients * q) / 4) - opened;
      // A few hundred players a second.
      const spreadMs = (count / 250) * 1000;
      crowd.open(url, count, { startAt: t0, spreadMs, firstFrame: false });
      opened += count;
      t0 += spreadMs + 2000;
      await sleep(t0 - epoch());
      rssSteps.push([opened, rssOf(rssPids)]);
    }
    // 8 s more to settle at the live edge (backlogs delivered), then the window.
    const from = t0 + 8000;
    const to = from + seconds * 1000;
    crowd.mark('w0', from);
    crowd.mark('w1', to);
    const { cpuS, pressurePct } = await cpuBetween(pids, from, to);
    await sleep(300);
    const report = await crowd.report();
    const win = windowBytes(report, 'w0', 'w1');
    await crowd.close();
    return {
      rss_per_player_kb: Math.round(slope(rssSteps) / 1024),
      rss_steps_mb: rssSteps.map(([, rss]) => Math.round(rss / 2 ** 20)).join('/'),
      delivered_vs_expected: win.total / (clients * (bitrate / 8) * seconds),
      slowest_player_mb_per_s: Math.min(...win.perPlayer) / 2 ** 20,
      cpu_s_per_gb: cpuS / (win.total / 2 ** 30),
      cpu_pct: Math.round((cpuS / seconds) * 100),
      load_generator_cpu_pct: readerCpu(report.readers, 'w0', 'w1'),
      ...honesty(readerCpu(report.readers, 'w0', 'w1'), pressurePct),
      dropped: report.players.filter((p) => p.ended).length,
    };
  };
  // The floor of the machine first (the C fan-out; skipped with the reason when there is no cc),
  // then the bare Node fan-out, then the proxy: one run, the same readers and window.
  const floorStack = await startFloorStack({ bitrate });
  const f = floorStack.skipped ? null : await steady(floorStack.url, [floorStack.pid]);
  if (!floorStack.skipped) await floorStack.stop();
  const base = await startBaselineStack({ bitrate });
  const b = await steady(base.url, [base.baseline.proc.pid]);
  await base.stop();
  const stack = await startStack({ bitrate, workers });
  const workerPids = children(stack.primaryPid);
  const o = await steady(stack.streamUrl(id(16)), [stack.primaryPid, ...workerPids], workerPids);
  await stack.stop();
  return {
    scenario: 'cpu',
    clients,
    bitrate,
    ...o,
    ...(f ? { cpu_per_gb_vs_floor: o.cpu_s_per_gb / f.cpu_s_per_gb, ...flat('floor_', f) } : { floor: floorStack.skipped }),
    cpu_per_gb_vs_baseline: o.cpu_s_per_gb / b.cpu_s_per_gb,
    ...flat('baseline_', b),
    ...marks(o, b, f),
    uptime: await loadAverage(),
  };
}

/** Each named metric's values, one per worker (the per-worker lines of a /metrics scrape). */
async function perWorker(url, names) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of text.split('\n')) {
    const name = line.split('{')[0];
    if (name in out && line.includes('worker=')) out[name].push(Number(line.split(' ').pop()));
  }
  return out;
}

/**
 * Players per worker once the workers' reports count them all (the anchor too): in Redis mode the
 * other workers' figures in a scrape are up to one report interval (2 s) old. At most 5 s.
 */
async function playersPerWorker(url, players) {
  const deadline = epoch() + 5000;
  for (;;) {
    const split = (await perWorker(url, ['acestream_proxy_clients'])).acestream_proxy_clients;
    if (split.reduce((a, b) => a + b, 0) >= players || epoch() > deadline) return split.join('/');
    await sleep(250);
  }
}

async function loadAverage() {
  const { loadavg } = await import('node:os');
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
