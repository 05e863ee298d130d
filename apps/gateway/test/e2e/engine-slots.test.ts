// ENGINE_MAX_STREAMS holds when requests arrive together, and refused or failed starts leave no key behind.

import {
  type Capture,
  capture,
  type RedisKind,
  type Stack,
  setFault,
  simSessions,
  startStack,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const LIMIT = 3;
/** Thousands of requests: on a busy 2-core machine they take tens of seconds. */
const REFUSALS_TIMEOUT_MS = 120_000;
const id = (series: string, i: number) => `${series}${i.toString(16).padStart(39, '0')}`;

/** Every key of the stack's Redis but those of the streams running (which come and go as they play). */
async function keysBesides(stack: Stack, running: string[]): Promise<string[]> {
  const keys = stack.cluster
    ? (await Promise.all((await stack.cluster.masters()).map((node) => node.redis.keys(`${stack.prefix}:*`)))).flat()
    : await stack.keys();
  return keys.filter((key) => !running.some((id) => key.includes(id))).sort();
}

/** Requests each id once, `concurrency` at a time; resolves with each answer's status and error code. */
async function requestAll(stack: Stack, ids: string[], concurrency: number): Promise<Array<{ status: number; error: string }>> {
  const answers: Array<{ status: number; error: string }> = [];
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const res = await fetch(stack.streamUrl(ids[next++]!));
      const body = res.status === 200 ? null : ((await res.json()) as { error: string });
      if (res.status === 200) await res.body?.cancel();
      answers.push({ status: res.status, error: body?.error ?? '' });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answers;
}

const modes: Array<{ name: string; redis: RedisKind; workers: number }> = [
  { name: 'embedded', redis: 'none', workers: 1 },
  { name: 'single Redis, two workers racing', redis: 'shared', workers: 2 },
  { name: 'Redis Cluster, two workers racing', redis: 'cluster', workers: 2 },
];

describe.each(modes)('one engine, ENGINE_MAX_STREAMS=3 ($name)', ({ redis, workers }) => {
  let stack: Stack;
  let players: Array<{ id: string; player: Capture }> = [];
  /** Keys besides the running streams' ones after the refusals: what must stay the same. */
  let baseline: string[] = [];
  const running = () => players.map((p) => p.id);

  beforeAll(async () => {
    stack = await startStack({ label: 'engine-slots', redis, workers, env: { ENGINE_MAX_STREAMS: String(LIMIT) } });
  });
  afterAll(async () => {
    for (const p of players) p.player.close();
    await stack.stop();
  });

  it('20 simultaneous requests for 20 channels open exactly 3 engine sessions; 17 get 503 no_engine_available', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => id('a', i));
    const answers = await Promise.all(ids.map((i) => capture(stack.streamUrl(i))));
    players = answers.flatMap((player, i) => (player.status === 200 ? [{ id: ids[i]!, player }] : []));
    const refused = answers.filter((a) => a.status !== 200);
    await Promise.all(refused.map((a) => a.waitForEnd()));
    expect(refused.map((a) => a.status)).toEqual(Array(17).fill(503));
    for (const a of refused) {
      const body = JSON.parse(a.bytes().toString('utf8')) as { error: string; message: string };
      expect(body.error).toBe('no_engine_available');
      expect(body.message).toContain(`ENGINE_MAX_STREAMS=${LIMIT}`);
    }
    await Promise.all(players.map((p) => p.player.waitForBytes(20_000)));
    expect(await simSessions(stack.sim)).toMatchObject({ started: LIMIT, active: LIMIT });
  });

  // Once is enough for the leftovers: the election and load contract tests check the memory
  // twins' sizes and the cluster's keys.
  if (redis !== 'shared') return;

  it(
    '2,000 requests refused because the engine is full leave no key behind',
    async () => {
      const before = await keysBesides(stack, running());
      const answers = await requestAll(
        stack,
        Array.from({ length: 2000 }, (_, i) => id('b', i)),
        50,
      );
      expect(new Set(answers.map((a) => `${a.status} ${a.error}`))).toEqual(new Set(['503 no_engine_available']));
      baseline = await keysBesides(stack, running());
      expect(baseline).toEqual(before);
    },
    REFUSALS_TIMEOUT_MS,
  );

  it(
    '200 starts the engine refuses leave no key behind either (no slot, epoch, claim or metadata)',
    async () => {
      // A free slot, so each start reaches the engine and fails there.
      players.pop()!.player.close();
      await waitFor(async () => (await simSessions(stack.sim)).active === LIMIT - 1, { what: 'a stream to stop' });
      await waitFor(async () => JSON.stringify(await keysBesides(stack, running())) === JSON.stringify(baseline), {
        what: "the stopped stream's keys to go",
      });
      const ids = Array.from({ length: 200 }, (_, i) => id('c', i));
      await Promise.all(ids.map((refused) => setFault(stack.sim, refused, { error: 'content not found' })));
      const answers = await requestAll(stack, ids, 50);
      // One slot free: starts racing for it while another holds it pending get 503 (it is taken).
      const outcomes = new Set(answers.map((a) => `${a.status} ${a.error}`));
      expect(outcomes).toContain('502 engine_refused');
      expect([...outcomes].filter((o) => o !== '502 engine_refused' && o !== '503 no_engine_available')).toEqual([]);
      expect(await keysBesides(stack, running())).toEqual(baseline);
      expect((await simSessions(stack.sim)).started).toBe(LIMIT);
    },
    REFUSALS_TIMEOUT_MS,
  );
});
