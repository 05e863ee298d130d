// CPU time and RSS of processes from /proc (Linux), for per-worker figures.
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

export function children(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function sample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    return { cpuS, rss, at: performance.now() };
  } catch {
    return null;
  }
}

/** CPU% over the window between two samples, and the RSS at the end. */
export function usage(a, b) {
  if (!a || !b) return { cpuPct: NaN, rssMb: NaN };
  return { cpuPct: ((b.cpuS - a.cpuS) / ((b.at - a.at) / 1000)) * 100, rssMb: b.rss / 2 ** 20 };
}

/**
 * The machine's CPU pressure (PSI "some": time at least one runnable task waited for a core), in
 * µs since boot; null where the kernel has no /proc/pressure.
 */
export function cpuPressureUs() {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return null;
  }
}
