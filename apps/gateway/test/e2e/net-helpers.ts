// What the network fault tests read: players that reconnect as real ones do, engine sessions, and the chunks Redis holds.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { type Probe, ProbeScanner, type SessionRecord } from '@acestream-proxy/engine-sim';
import { getJson, type LabStack, type PrivateRedis, type StartedProcess, teardownLabs } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect } from '@jest/globals';

type Redis = PrivateRedis['redis'];

/** How long a player waits before it reconnects (ffmpeg's -reconnect, VLC and Kodi wait about this). */
export const RECONNECT_MS = 300;

export interface ArrivedProbe extends Probe {
  /** ms since the epoch (the sim's clock is this machine's). */
  arrivedAt: number;
  /** Which of the player's connections brought it (0, 1, ...). */
  connection: number;
}

/**
 * A player that watches one stream and reconnects to the same URL whenever its connection ends
 * or is refused, keeping every engine probe it received with its arrival time.
 */
export class FollowingPlayer {
  readonly probes: ArrivedProbe[] = [];
  /** ms since the epoch of each end of a connection that had answered 200. */
  readonly ends: number[] = [];
  /** The HTTP status of each attempt. */
  readonly statuses: number[] = [];
  bytes = 0;
  private connections = 0;
  private stopped = false;
  private req: http.ClientRequest | null = null;

  constructor(private readonly url: string) {
    this.connect();
  }

  get connected(): number {
    return this.connections;
  }

  /** Arrival time of the first probe the engine sent after `since` (null: none yet). */
  firstSentAfter(since: number): number | null {
    return this.probes.find((p) => p.sentAt > since)?.arrivedAt ?? null;
  }

  /** The longest time between two probes arriving, among those that arrived in [from, to]. */
  longestGap(from: number, to: number): number {
    let longest = 0;
    let last = from;
    for (const p of this.probes) {
      if (p.arrivedAt < from || p.arrivedAt > to) continue;
      longest = Math.max(longest, p.arrivedAt - last);
      last = p.arrivedAt;
    }
    return Math.max(longest, to - last);
  }

  close(): void {
    this.stopped = true;
    this.req?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const connection = this.connections++;
    const scanner = new ProbeScanner();
    // One reconnect per connection: a reset 200 fires both the response's close and the
    // request's error, and each would otherwise start a connection of its own.
    let retried = false;
    const again = () => {
      if (this.stopped || retried) return;
      retried = true;
      setTimeout(() => this.connect(), RECONNECT_MS);
    };
    const req = http.get(this.url, { agent: false }, (res) => {
      this.statuses.push(res.statusCode ?? 0);
      if (res.statusCode !== 200) {
        res.resume();
        res.once('end', again);
        return;
      }
      res.on('data', (data: Buffer) => {
        this.bytes += data.length;
        const now = Date.now();
        for (const probe of scanner.push(data)) this.probes.push({ ...probe, arrivedAt: now, connection });
      });
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.ends.push(Date.now());
        again();
      };
      res.once('close', end);
      res.once('error', end);
    });
    req.once('error', () => {
      if (this.req === req) again();
    });
    this.req = req;
  }
}

/** Every session the sims opened, with which sim. */
export async function sessionHistory(sims: StartedProcess[]): Promise<Array<SessionRecord & { sim: number }>> {
  const all = await Promise.all(
    sims.map(async (sim, i) =>
      (await getJson<{ history: SessionRecord[] }>(`${sim.url}/sim/sessions`)).body.history.map((s) => ({ ...s, sim: i })),
    ),
  );
  return all.flat();
}

/** When a session was read: from its first reader to its last reader leaving (or now). */
function readSpan(s: SessionRecord, now: number): [number, number] | null {
  if (s.first_read_at === null) return null;
  return [s.first_read_at, s.read_ended_at ?? s.stopped_at ?? now];
}

/** The longest time two sessions of content `id` were read at once, ms. */
export function longestOverlap(sessions: SessionRecord[], id: string, now = Date.now()): number {
  const spans = sessions
    .filter((s) => s.id === id)
    .map((s) => readSpan(s, now))
    .filter((s): s is [number, number] => s !== null);
  let longest = 0;
  for (let i = 0; i < spans.length; i++)
    for (let j = i + 1; j < spans.length; j++)
      longest = Math.max(longest, Math.min(spans[i]![1], spans[j]![1]) - Math.max(spans[i]![0], spans[j]![0]));
  return longest;
}

/**
 * The engine sessions whose bytes each chunk of the stream in Redis holds, in index order: what
 * owners actually appended (a refused append leaves nothing). Chunks of one session form one run
 * when no two owners ever appended at once.
 */
export async function sessionsInBuffer(
  redis: Redis,
  stack: LabStack,
  id: string,
): Promise<Array<{ index: number; sessions: number[] }>> {
  const prefix = stack.key('stream', id, 'buffer', 'chunk', '');
  const keys = await redis.keys(`${prefix}*`);
  const indexes = keys.map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
  const out: Array<{ index: number; sessions: number[] }> = [];
  for (const index of indexes) {
    const chunk = await redis.getBuffer(`${prefix}${index}`);
    if (!chunk) continue;
    const sessions = [...new Set(new ProbeScanner().push(chunk).map((p) => p.session))];
    out.push({ index, sessions });
  }
  return out;
}

/** The session order of `sessionsInBuffer` with runs collapsed, e.g. [1, 1001]: a session seen again after another means two writers interleaved. */
export function sessionRuns(chunks: Array<{ sessions: number[] }>): number[] {
  const runs: number[] = [];
  for (const { sessions } of chunks) for (const s of sessions) if (runs.at(-1) !== s) runs.push(s);
  return runs;
}

/** The worker id owning the stream, and which gateway host runs it (its primary's child). */
export async function ownerGateway(stack: LabStack, redis: Redis, id: string): Promise<number> {
  const owner = await redis.get(stack.key('stream', id, 'owner'));
  if (!owner) return -1;
  const pid = Number(owner.split(':').at(-1));
  const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  return stack.gateways.findIndex((g) => g.proc.pid === ppid || g.proc.pid === pid);
}

/**
 * The lab stack of one describe block: `start` runs before its tests (it sets the test's own
 * `stack`; seven to thirteen hosts with their processes and HAProxy start in ~5 s, a loaded
 * machine may take far longer), and after them `players()` are closed, the stack stopped, the
 * lab torn down even when the start timed out (beforeAll's timeout left it no stack to stop), and
 * nothing of it left behind: asserted.
 */
export function labPerSuite(start: () => Promise<LabStack>, players: () => Iterable<{ close(): void }> = () => []): void {
  let stack: LabStack | undefined;
  beforeAll(async () => {
    stack = await start();
  }, 120_000);
  afterAll(async () => {
    for (const player of players()) player.close();
    await stack?.stop();
    await teardownLabs();
    if (stack) expect(await stack.lab.leftovers()).toEqual([]);
  });
}
