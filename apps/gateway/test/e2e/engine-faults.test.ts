// Engines that misbehave without going silent: refused reconnects, non-TS bodies, endless answers.

import {
  type Capture,
  capture,
  getJson,
  type SimRequest,
  type Stack,
  type StartedProcess,
  setFault,
  simRequests,
  startStack,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstProbeSentAfter } from './helpers.js';

const NO_DATA_TIMEOUT_S = 1;

/** The getstream requests an engine received for content `id`, oldest first. */
async function requestsFor(sim: StartedProcess, id: string): Promise<SimRequest[]> {
  return (await simRequests(sim)).filter((r) => r.id === id);
}

/** Waits for the stream's first getstream on `sim` (the move to it) and returns its time. */
async function firstSessionOn(sim: StartedProcess, id: string, timeoutMs: number): Promise<number> {
  let at = 0;
  await waitFor(
    async () => {
      at = (await requestsFor(sim, id)).find((r) => r.answer === 'session')?.at ?? 0;
      return at > 0;
    },
    { what: `a session of ${id} on the second engine`, timeoutMs },
  );
  return at;
}

/** Two idle engines (a new stream starts on the first), embedded mode, a 1 s no-data deadline. */
function twoEngines(env: Record<string, string>): Promise<Stack> {
  return startStack({
    redis: 'none',
    sims: 2,
    env: { ENGINE_MAX_STREAMS: '5', PROXY_NO_DATA_TIMEOUT: String(NO_DATA_TIMEOUT_S), ...env },
  });
}

/** The players were kept and get `next`'s data (probes it stamped after `movedAt`); the stream is on it. */
async function expectMovedWithPlayers(stack: Stack, id: string, players: Capture[], next: StartedProcess, movedAt: number) {
  await Promise.all(players.map((p) => firstProbeSentAfter(p, movedAt, "the next engine's data", 10_000)));
  expect(players.every((p) => !p.ended)).toBe(true);
  const { body } = await getJson<{ engine: { port: number } | null }>(`${stack.gateway.url}/proxy/streams/${id}`);
  expect(body.engine?.port).toBe(next.port);
  for (const p of players) p.close();
}

describe('an engine that refuses reconnects', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The default PROXY_RECONNECT_BACKOFF_MS (250); four reconnects before the move.
    stack = await twoEngines({ PROXY_MAX_RETRIES: '4' });
  });
  afterAll(() => stack.stop());

  it('is asked again at once, then after 0.25, 0.5 and 1 s (±25%); then the stream moves to the next engine with its players', async () => {
    const [refusing, next] = stack.sims as [StartedProcess, StartedProcess];
    const id = 'c9'.repeat(20);
    // Its first session ends after 1.5 s, and every getstream after that first one is refused.
    await setFault(refusing, id, { eof_after_s: 1.5, refuse_after: 1 });
    const players = await Promise.all([capture(stack.streamUrl(id)), capture(stack.streamUrl(id))]);
    await Promise.all(players.map((p) => p.waitForBytes(50_000)));
    const movedAt = await firstSessionOn(next, id, 15_000);

    const [first, ...refused] = await requestsFor(refusing, id);
    expect(first!.answer).toBe('session');
    expect(refused.map((r) => r.answer)).toEqual(['error', 'error', 'error', 'error']);
    const at = refused.map((r) => r.at);
    // A session that delivered is reconnected at once (the session ended 1.5 s after it opened).
    expect(at[0]! - first!.at).toBeGreaterThanOrEqual(1500);
    expect(at[0]! - first!.at).toBeLessThan(1500 + 1000);
    // Each refusal in a row doubles the wait before the next attempt.
    [250, 500, 1000].forEach((nominal, i) => {
      const gap = at[i + 1]! - at[i]!;
      expect(gap).toBeGreaterThanOrEqual(nominal * 0.75);
      expect(gap).toBeLessThan(nominal * 1.25 + 400);
    });
    // After the last refusal the stream moves at once (a fresh engine is not made to wait).
    expect(movedAt - at[3]!).toBeLessThan(1000);
    await expectMovedWithPlayers(stack, id, players, next, movedAt);
  });
});

describe('an engine that sends what is not MPEG-TS', () => {
  let stack: Stack;
  beforeAll(async () => {
    // No reconnects to the same engine: the move to the next one is what is timed.
    stack = await twoEngines({ PROXY_MAX_RETRIES: '0' });
  });
  afterAll(() => stack.stop());

  it('is left within PROXY_NO_DATA_TIMEOUT + 2 s of its first non-TS byte, and the players are served by the next engine', async () => {
    const [garbled, next] = stack.sims as [StartedProcess, StartedProcess];
    const id = 'd4'.repeat(20);
    // 1.5 s of TS, then an HTML error page at the same rate, for as long as it is read.
    await setFault(garbled, id, { garbage_after_s: 1.5 });
    const players = await Promise.all([capture(stack.streamUrl(id)), capture(stack.streamUrl(id))]);
    await Promise.all(players.map((p) => p.waitForBytes(50_000)));
    // The playback starts after its getstream: this is the earliest the HTML can have begun.
    const [session] = await requestsFor(garbled, id);
    const garbageFrom = session!.at + 1500;
    const movedAt = await firstSessionOn(next, id, 15_000);
    expect(movedAt - garbageFrom).toBeLessThan((NO_DATA_TIMEOUT_S + 2) * 1000);
    await expectMovedWithPlayers(stack, id, players, next, movedAt);
  });

  it("answers a 502 with the engine's error text cut, and does not read an endless getstream answer", async () => {
    const wordy = 'e5'.repeat(20);
    const endless = 'f6'.repeat(20);
    for (const sim of stack.sims) {
      await setFault(sim, wordy, { error: `no such content ${'x'.repeat(50_000)}` });
      await setFault(sim, endless, { answer_bytes: 100 * 2 ** 20 });
    }
    const refused = await getJson<{ error: string; message: string }>(stack.streamUrl(wordy));
    expect(refused.status).toBe(502);
    expect(refused.body.message).toContain('no such content xxx');
    expect(refused.body.message.length).toBeLessThan(400);

    const started = performance.now();
    const endlessAnswer = await getJson<{ error: string; message: string }>(stack.streamUrl(endless));
    expect(endlessAnswer.status).toBe(502);
    expect(endlessAnswer.body.message).toContain('getstream answered more than');
    // Each engine got to write the cap and what socket buffers hold, not 100 MB.
    for (const sim of stack.sims) {
      const [asked] = await requestsFor(sim, endless);
      expect(asked!.bytes).toBeLessThan(32 * 2 ** 20);
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
