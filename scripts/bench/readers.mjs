// Load-generator processes of the bench (issue 25): players run in forked reader processes, never in
// the bench process that measures, and every run says whether a reader or the machine was the limit.
import { fork } from 'node:child_process';
import { cpuPressureUs, sample } from './procstat.mjs';
import { sleep } from './stack.mjs';

export const epoch = () => performance.timeOrigin + performance.now();

/** This process's CPU time so far, seconds (a reader's own, at its marks). */
export function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * `count` forked reader processes of one script (crowd.mjs, hls-readers.mjs), once each is ready.
 * Each script sends `{ type: 'ready' }` once it listens, answers a message that asks for an answer
 * with one message, and disconnects on `{ type: 'close' }`.
 */
export function forkReaders(script, count) {
  return Promise.all(
    Array.from({ length: count }, () => {
      const proc = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Promise((resolve, reject) => {
        proc.once('message', () => resolve(proc));
        proc.once('exit', (code) => reject(new Error(`reader ${script} exited with ${code}`)));
      });
    }),
  );
}

/** Forked reader processes, spoken to over IPC; subclasses add their script's messages. */
export class Readers {
  constructor(procs) {
    this.procs = procs;
  }

  /** Reader `i`'s share of `count` players (the first ones take the remainder). */
  share(count, i) {
    return Math.floor(count / this.procs.length) + (i < count % this.procs.length ? 1 : 0);
  }

  /** Every reader notes its counters and CPU time at `at` (epoch ms), so all share one window. */
  mark(name, at) {
    for (const proc of this.procs) proc.send({ type: 'mark', name, at });
  }

  /** One answer per reader to `message`. */
  ask(message) {
    return Promise.all(
      this.procs.map(
        (proc) =>
          new Promise((resolve) => {
            proc.once('message', resolve);
            proc.send(message);
          }),
      ),
    );
  }

  async close() {
    await Promise.all(
      this.procs.map((proc) => {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        if (proc.connected) proc.send({ type: 'close' });
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
        return exited;
      }),
    );
  }
}

/**
 * CPU seconds of processes between two moments (epoch ms), in all and per process, and the
 * machine's CPU pressure then (% of the window in which some runnable task waited for a core; NaN
 * without /proc/pressure).
 */
export async function cpuBetween(pids, from, to) {
  await sleep(Math.max(0, from - epoch()));
  const a = pids.map(sample);
  const p0 = cpuPressureUs();
  const t0 = epoch();
  await sleep(Math.max(0, to - epoch()));
  const b = pids.map(sample);
  const p1 = cpuPressureUs();
  const seconds = (epoch() - t0) / 1000;
  const perPid = pids.map((_, i) => (a[i] && b[i] ? b[i].cpuS - a[i].cpuS : 0));
  const cpuS = perPid.reduce((sum, s) => sum + s, 0);
  const pressurePct = p0 === null || p1 === null ? NaN : ((p1 - p0) / 1e6 / seconds) * 100;
  return { cpuS, perPid, seconds, pressurePct };
}

/** Past this, a reader process (or the machine) was the limit, not the server measured. */
const LIMITED_PCT = 90;

/**
 * Whether a run measured the server (issue 25): a reader over 90% of a core in the window marks
 * it limited by its load generator; CPU pressure over 90% of the window (some runnable task kept
 * waiting for a core nearly all the time: other work on the machine, or more threads than cores)
 * marks the machine starved (for a storm: over 25% in the 2 s before it). index.mjs leaves marked
 * runs out of the medians.
 */
export function honesty(readerPcts, pressurePct, pressureBeforePct) {
  const max = Math.max(...readerPcts);
  return {
    load_generator_max_cpu_pct: max,
    cpu_pressure_pct: Math.round(pressurePct),
    ...(pressureBeforePct === undefined
      ? { machine_starved: pressurePct > LIMITED_PCT }
      : {
          // A storm saturates the cores by design: the machine was starved when other work kept
          // it busy just before (see anchorOn in crowd-scenarios.mjs).
          cpu_pressure_before_pct: Math.round(pressureBeforePct),
          machine_starved: pressureBeforePct > BUSY_BEFORE_PCT,
        }),
    limited_by_load_generator: max > LIMITED_PCT,
  };
}

/** CPU pressure before a storm past which other work was on the machine (quiet: under 5%). */
const BUSY_BEFORE_PCT = 25;

/** A run with a baseline: marked when either side was. */
export const marks = (...sides) => ({
  limited_by_load_generator: sides.some((x) => x?.limited_by_load_generator),
  machine_starved: sides.some((x) => x?.machine_starved),
});

/** Load-generator CPU between two marks (each `{ at, cpuS }`), per reader, as % of one core. */
export function readerCpu(readers, from, to) {
  return readers.map((m) => Math.round(((m[to].cpuS - m[from].cpuS) / ((m[to].at - m[from].at) / 1000)) * 100));
}
