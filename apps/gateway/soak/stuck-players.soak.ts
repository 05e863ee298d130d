// 500 players that never read, for 2 minutes on an 8 Mbit/s channel: bounded memory, no loss elsewhere.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { type Stack, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { probePlayer } from './probe-player.js';

const STUCK = Number(process.env.STUCK_PLAYERS ?? 500);
const SECONDS = Number(process.env.STUCK_SECONDS ?? 120);

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** A player that sends its request and never reads a byte of the answer. */
function stuckPlayer(port: number, path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: stuck\r\nUser-Agent: stuck\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe(`${STUCK} players that never read, ${SECONDS} s, 8 Mbit/s`, () => {
  let stack: Stack;

  beforeAll(async () => {
    // The default PROXY_CLIENT_STALL_TIMEOUT (300 s): they are not dropped within the run.
    stack = await startStack({ label: 'stuck-soak', workers: 2, simEnv: { BITRATE: '8000000' } });
  });
  afterAll(() => stack.stop());

  it('keeps worker memory bounded and the reading players lossless', async () => {
    const id = 'ab'.repeat(20);
    const primary = stack.gateway.proc.pid!;
    const pids = execFileSync('ps', ['--ppid', String(primary), '-o', 'pid='], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
    const readers = await Promise.all([0, 1, 2, 3].map((n) => probePlayer(stack.streamUrl(id), `reader-${n}`)));
    await waitFor(() => readers.every((r) => r.bytes > 1_000_000), { what: 'readers at full rate', timeoutMs: 15_000 });
    const before = pids.map(rssMb);

    const stuck: net.Socket[] = [];
    for (let n = 0; n < STUCK; n++) stuck.push(await stuckPlayer(stack.gateway.port, `/ace/getstream?id=${id}`));
    await waitFor(async () => (await stack.redis!.scard(stack.key('stream', id, 'clients'))) === STUCK + readers.length, {
      what: 'every stuck player registered',
      timeoutMs: 30_000,
    });
    const series: number[][] = [];
    const until = Date.now() + SECONDS * 1000;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      series.push(pids.map(rssMb));
    }
    const peak = pids.map((_, i) => Math.max(...series.map((s) => s[i]!)));
    const perPlayerKb = (Math.max(...peak.map((p, i) => p - before[i]!)) * 1024) / (STUCK / pids.length);
    process.stderr.write(
      `stuck players: ${STUCK} for ${SECONDS} s; worker RSS before ${before.map(Math.round)} MB, first ${series[0]!.map(Math.round)}, peak ${peak.map(Math.round)}, last ${series.at(-1)!.map(Math.round)} MB ` +
        `(~${Math.round(perPlayerKb)} KB per stuck player); readers: ${readers.map((r) => `${r.probes} probes/${r.gaps} gaps`).join(', ')}\n`,
    );
    // Bound: what a worker holds per stuck player is its socket's user-space buffer, not the stream.
    for (const [i, p] of peak.entries()) expect(p - before[i]!).toBeLessThan(200);
    // And it does not grow while they stay stuck: the last sample within 20 MB of the first.
    for (const i of pids.keys()) expect(series.at(-1)![i]! - series[0]![i]!).toBeLessThan(20);
    // The reading players lost nothing: every probe, in order, in one engine session.
    for (const r of readers) {
      expect(r.ended).toBe(false);
      expect(r.gaps).toBe(0);
      expect(r.sessionChanges).toBe(0);
      expect(r.probes).toBeGreaterThan(SECONDS * 40);
    }
    for (const s of stuck) s.destroy();
    for (const r of readers) r.close();
  });
});
