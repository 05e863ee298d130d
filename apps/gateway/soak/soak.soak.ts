// The soak (`pnpm test:soak`): 10 minutes of players coming and going, owner kills and engine hangs.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { getJson, type Stack, simSessions, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ProbePlayer, probePlayer } from './probe-player.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const CHANNELS = 5;
const STAYERS_PER_CHANNEL = 3;
/** Engine hangs last this long, then the engine thaws (its abandoned sessions are stopped). */
const HANG_S = 20;

function workerPids(primary: number): number[] {
  return execFileSync('ps', ['--ppid', String(primary), '-o', 'pid='], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => n > 0);
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Gateway warning and error lines, counted by message. */
function warnings(output: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output) {
    try {
      const { level, message } = JSON.parse(line) as { level?: string; message?: string };
      if ((level === 'warn' || level === 'error') && message) counts[message] = (counts[message] ?? 0) + 1;
    } catch {
      // not a log line
    }
  }
  return counts;
}

/** A passer-by: watches for a while, then leaves. */
function passBy(url: string, stayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => res.resume());
    req.on('error', () => {});
    setTimeout(() => {
      req.destroy();
      resolve();
    }, stayMs);
  });
}

describe(`soak: ${MINUTES} minutes`, () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      label: 'soak',
      sims: 2,
      workers: 2,
      env: { ENGINE_MAX_STREAMS: String(CHANNELS), PROXY_BUFFER_TTL: '20', PROXY_NO_DATA_TIMEOUT: '3' },
    });
  });
  afterAll(async () => {
    await Promise.all(stack.sims.map((s) => fetch(`${s.url}/sim/hang`, { method: 'DELETE' }).catch(() => {})));
    await stack.stop();
  });

  it('players that stay see a continuous probe sequence apart from counted jumps; keys and RSS stay flat', async () => {
    const primary = stack.gateway.proc.pid!;
    const channels = Array.from({ length: CHANNELS }, (_, i) => `${i}`.repeat(40).replace(/^./, 'f'));
    // Players that stay; one whose worker is killed reconnects, as a real player does (a new
    // connection, checked on its own). Every connection is checked for as long as it lived.
    const stayers: Array<{ id: string; player: ProbePlayer; since: number; skips?: number }> = [];
    const live = new Map<string, (typeof stayers)[number]>();
    let connections = 0;
    const connect = async (id: string, slot: string) => {
      const entry = { id, player: await probePlayer(stack.streamUrl(id), `soak-${slot}-${connections++}`), since: Date.now() };
      stayers.push(entry);
      live.set(slot, entry);
    };
    for (const id of channels) {
      for (let n = 0; n < STAYERS_PER_CHANNEL; n++) await connect(id, `${id.slice(0, 2)}${n}`);
    }
    /** Reads a live connection's live-edge jumps from its client record (gone with a killed worker). */
    const readSkips = async () => {
      for (const entry of live.values()) {
        const { body } = await getJson<{ clients?: Array<{ user_agent: string; skips: number }> }>(
          `${stack.gateway.url}/proxy/streams/${entry.id}`,
        ).catch(() => ({ body: null }));
        const skips = body?.clients?.find((c) => c.user_agent === entry.player.userAgent)?.skips;
        if (skips !== undefined) entry.skips = skips;
      }
    };
    const redis = stack.redis!;
    const samples: Array<{ minute: number; keys: number; rssMb: number; workers: number }> = [];
    const events: string[] = [];
    let kills = 0;
    let hangs = 0;

    // Passers-by on random channels the whole time.
    let running = true;
    const passers = (async () => {
      const pending: Array<Promise<void>> = [];
      while (running) {
        const id = channels[Math.floor(Math.random() * CHANNELS)]!;
        pending.push(passBy(stack.streamUrl(id), 500 + Math.random() * 20_000));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await Promise.all(pending);
    })();

    const reconnecting = setInterval(() => {
      void readSkips();
      for (const [slot, entry] of live) {
        if (!entry.player.ended) continue;
        live.delete(slot);
        connect(entry.id, slot).catch((err: Error) => events.push(`reconnect failed: ${err.message}`));
      }
    }, 2000);
    const started = Date.now();
    for (let minute = 1; minute <= MINUTES; minute++) {
      await new Promise((resolve) => setTimeout(resolve, started + minute * 60_000 - 30_000 - Date.now()));
      // Half-way through each minute: kill the owner of one channel (its worker restarts).
      const victim = channels[minute % CHANNELS]!;
      const owner = await redis.get(stack.key('stream', victim, 'owner'));
      if (owner) {
        process.kill(Number(owner.split(':').pop()), 'SIGKILL');
        kills++;
        events.push(`min ${minute}: killed owner ${owner} of ${victim.slice(0, 6)}`);
      }
      // Every third minute: the engine serving the most streams hangs for HANG_S.
      if (minute % 3 === 0) {
        const active = await Promise.all(stack.sims.map(async (s) => (await simSessions(s)).active));
        const sim = stack.sims[active.indexOf(Math.max(...active))];
        const port = sim?.port;
        if (sim) {
          await fetch(`${sim.url}/sim/hang`, { method: 'PUT' });
          hangs++;
          events.push(`min ${minute}: engine ${port} hangs for ${HANG_S} s`);
          setTimeout(() => void fetch(`${sim.url}/sim/hang`, { method: 'DELETE' }).catch(() => {}), HANG_S * 1000).unref();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, started + minute * 60_000 - Date.now()));
      const pids = workerPids(primary);
      samples.push({
        minute,
        keys: (await redis.keys(stack.key('*'))).length,
        rssMb: Math.round(pids.reduce((sum, pid) => sum + rssMb(pid), 0)),
        workers: pids.length,
      });
    }
    running = false;
    clearInterval(reconnecting);
    await passers;
    await readSkips();

    // What every connection saw while it lived.
    const report: string[] = [];
    let stayed = 0;
    let checked = 0;
    const uncounted: string[] = [];
    for (const { player, since, skips } of stayers) {
      const lived = Math.round((Date.now() - since) / 1000);
      report.push(
        `${player.userAgent}: ${player.ended ? 'cut when its worker was killed' : 'stayed to the end'}, ${Math.round(player.bytes / 1e6)} MB, ` +
          `${player.probes} probes, ${player.gaps} gaps (${player.missing} probes), ${player.sessionChanges} session changes, skips ${skips ?? '?'}`,
      );
      if (!player.ended) stayed++;
      if (player.probes < 20 * 30) continue;
      checked++;
      // Every break in a session's probe sequence is a live-edge jump the proxy counted.
      if (player.gaps > (skips ?? 0))
        uncounted.push(`${player.userAgent} (${lived} s): ${player.gaps} gaps, ${skips ?? '?'} skips`);
    }
    for (const { player } of stayers) player.close();
    process.stderr.write(
      `soak ${MINUTES} min: ${kills} owner kills, ${hangs} engine hangs, ${stayers.length} player connections (${checked} checked), ${stayed} to the end\n` +
        `${events.join('\n')}\n${report.join('\n')}\n` +
        `per minute (keys, worker RSS MB total, workers): ${samples.map((s) => `${s.minute}:${s.keys}/${s.rssMb}/${s.workers}`).join(' ')}\n` +
        `gateway warnings: ${JSON.stringify(warnings(stack.gateway.output))}\n`,
    );
    expect(uncounted).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(CHANNELS * STAYERS_PER_CHANNEL);
    expect(stayed).toBeGreaterThan(0);
    expect(kills).toBe(MINUTES);
    // Flat: the last minute no more than 25% above the highest of the first three (key counts
    // swing with the passers-by of the moment; a leak would climb minute after minute).
    const early = samples.slice(0, 3);
    const last = samples.at(-1)!;
    expect(last.keys).toBeLessThan(1.25 * Math.max(...early.map((x) => x.keys)));
    expect(last.rssMb).toBeLessThan(1.25 * Math.max(...early.map((x) => x.rssMb)));

    // And when everyone has left, nothing is left behind.
    await waitFor(async () => (await Promise.all(stack.sims.map(simSessions))).every((s) => s.active === 0), {
      what: 'every engine session to stop',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await waitFor(async () => (await redis.keys(stack.key('stream', '*'))).length === 0, {
      what: 'every stream key to go',
      timeoutMs: 15_000,
    });
  });
});
