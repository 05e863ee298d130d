// Starts what a scenario needs as separate processes: test-utils' stack (Redis, engine-sim,
// gateway) with the gateway's own defaults, or the baseline server.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeProcess, startSim, startStack as startTestStack, waitFor } from '../../packages/test-utils/dist/index.js';
import { Player } from './client.mjs';

/** Stacks still running, so a scenario that fails leaves no process behind (see stopAll). */
const running = new Set();

function track(stack) {
  const stop = stack.stop;
  stack.stop = async () => {
    running.delete(stack);
    await stop();
  };
  running.add(stack);
  return stack;
}

export async function stopAll() {
  await Promise.allSettled([...running].map((stack) => stack.stop()));
}

/**
 * Every bench player connects from 127.0.0.1, and scenarios start channels by the dozen: the per
 * address limits are off (a run measuring their cost sets them with --env).
 */
export const LIMITS_OFF = { PROXY_MAX_CONNECTIONS_PER_ADDRESS: '0', PROXY_MAX_NEW_SESSIONS_PER_MINUTE: '0' };

/** `pnpm bench --env KEY=VALUE`: knobs under test, which win over a scenario's own. */
export function knobsUnderTest() {
  return JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}');
}

/**
 * One gateway (`workers` workers, the knobs under test on top of `env`) on one engine-sim, over a
 * private Redis server (`redis: 'cluster'`: a Redis Cluster). `redis` is the private server, whose
 * INFO commandstats the scenarios read.
 */
export async function startStack({ bitrate = 4_000_000, workers = 2, env = {}, simEnv = {}, redis = 'private' } = {}) {
  const stack = await startTestStack({
    redis,
    workers,
    testDefaults: false,
    simEnv: { BITRATE: String(bitrate), ...simEnv },
    env: { ENGINE_MAX_STREAMS: '1000', ...LIMITS_OFF, ...env, ...knobsUnderTest() },
    // BENCH_CPU_PROF=<dir>: every gateway process (primary and workers) writes a V8 CPU profile there on exit.
    execArgv: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
  });
  return track({
    redis: stack.privateRedis,
    cluster: stack.cluster,
    sim: stack.sim,
    gateway: stack.gateway,
    primaryPid: stack.gateway.proc.pid,
    streamUrl: (id) => stack.streamUrl(id),
    stop: () => stack.stop(),
  });
}

/**
 * The bare Node fan-out (baseline.mjs) on its own engine-sim; `workers` > 1: node:cluster workers
 * on one port; `tickMs`: the engine's reads sent once per tick (the proxy's flush interval).
 */
export async function startBaselineStack({ bitrate, workers = 1, tickMs = 0, backlogMs = 0 }) {
  const sim = await startSim({ BITRATE: String(bitrate) });
  const baseline = await startNodeProcess('scripts/bench/baseline.mjs', {
    env: { ENGINE_PORT: String(sim.port), WORKERS: String(workers), TICK_MS: String(tickMs), BACKLOG_MS: String(backlogMs) },
  });
  return track({
    sim,
    baseline,
    url: `${baseline.url}/stream`,
    async stop() {
      await baseline.stop();
      await sim.stop();
    },
  });
}

/**
 * Opens `n` players on `url` (a few at a time, as a crowd of TVs would) and waits for their first
 * byte. With `tolerant`, a group still waiting at the deadline is left to connect on its own (the
 * baseline server, saturated, accepts connections late); otherwise that is an error.
 */
export async function openPlayers(url, n, { batch = 50, timeoutMs = 30_000, tolerant = false } = {}) {
  const players = [];
  for (let i = 0; i < n; i += batch) {
    const group = Array.from({ length: Math.min(batch, n - i) }, () => new Player(url));
    players.push(...group);
    const answered = waitFor(() => group.every((p) => !Number.isNaN(p.ttfb) || p.ended), {
      timeoutMs,
      what: 'players to get a first byte',
    });
    await (tolerant ? answered.catch(() => {}) : answered);
  }
  return players;
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const median = (values) => percentile(values, 50);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const FLOOR_SOURCE = fileURLToPath(new URL('./floor/fanout.c', import.meta.url));

/**
 * The C fan-out (floor/fanout.c), built with the system `cc` into the temp dir (once per source
 * version). Null, with the reason, when there is no compiler: the scenarios then print no floor.
 */
export function floorBinary() {
  const source = readFileSync(FLOOR_SOURCE);
  const binary = join(tmpdir(), `acestream-proxy-floor-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return { binary };
  try {
    execFileSync('cc', ['-O2', '-o', binary, FLOOR_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { binary };
  } catch (err) {
    return { binary: null, why: `no C floor: cc failed or is missing (${String(err.message).split('\n')[0]})` };
  }
}

/** The C fan-out floor on its own engine-sim, reading the same playback stream a gateway would. */
export async function startFloorStack({ bitrate }) {
  const { binary, why } = floorBinary();
  if (!binary) return { skipped: why };
  const sim = await startSim({ BITRATE: String(bitrate) });
  const answer = await (await fetch(`${sim.url}/ace/getstream?id=${'f'.repeat(40)}&format=json&pid=floor`)).json();
  const playback = new URL(answer.response.playback_url);
  const proc = spawn(binary, [], {
    env: {
      PORT: '0',
      UPSTREAM_HOST: playback.hostname,
      UPSTREAM_PORT: playback.port,
      UPSTREAM_PATH: playback.pathname + playback.search,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (part) => {
      text += part;
      const line = text.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line).port);
    });
    proc.once('exit', (code) => reject(new Error(`the C floor exited with ${code} before listening`)));
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return track({
    sim,
    pid: proc.pid,
    url: `http://127.0.0.1:${port}/stream`,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      await sim.stop();
    },
  });
}

/** Least-squares slope of y over x for [x, y] points. */
export function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}
