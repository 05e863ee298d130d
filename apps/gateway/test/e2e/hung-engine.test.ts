// A frozen engine (accepts connections, never answers, as `kill -STOP` leaves it): players move on.

import { capture, getJson, type Stack, simSessions, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstProbeSentAfter } from './helpers.js';

const NO_DATA_TIMEOUT_S = 2;

async function hang(url: string, hung: boolean): Promise<void> {
  const res = await fetch(`${url}/sim/hang`, { method: hung ? 'PUT' : 'DELETE' });
  if (!res.ok) throw new Error(`engine-sim refused /sim/hang: ${res.status}`);
}

describe('an engine that hangs mid-stream', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Default PROXY_ENGINE_API_TIMEOUT (5 s) and PROXY_INIT_TIMEOUT (30 s): the point is that
    // the second no longer governs API calls. The frozen engine's version is checked every 1 s
    // (not 5 s): the thawed engine is seen sooner.
    stack = await startStack({
      label: 'hung-engine',
      sims: 2,
      workers: 2,
      env: { PROXY_NO_DATA_TIMEOUT: String(NO_DATA_TIMEOUT_S), ENGINE_MAX_STREAMS: '5', ENGINE_CHECK_INTERVAL_MS: '1000' },
    });
  });
  afterAll(async () => {
    await Promise.all(stack.sims.map((s) => hang(s.url, false).catch(() => {})));
    await stack.stop();
  });

  it('moves its players to the next engine within PROXY_NO_DATA_TIMEOUT + 6 s, connections kept, one session after', async () => {
    const [frozen, healthy] = stack.sims as [(typeof stack.sims)[0], (typeof stack.sims)[0]];
    const id = 'a7'.repeat(20);
    const players = await Promise.all([capture(stack.streamUrl(id)), capture(stack.streamUrl(id))]);
    await Promise.all(players.map((p) => p.waitForBytes(100_000)));
    // Idle engines: the stream went to the first one listed.
    expect((await simSessions(frozen)).active).toBe(1);

    // engine-sim stamps each probe packet with its send time: data stamped after the freeze
    // can only come from the next engine. The freeze takes effect before /sim/hang answers, so
    // the clock is read after the answer (read before it, a packet the frozen engine stamped
    // while the request was on its way counted as moved).
    await hang(frozen.url, true);
    const frozenAt = Date.now();
    const arrivals = players.map((p) =>
      firstProbeSentAfter(p, frozenAt, "the next engine's data", (NO_DATA_TIMEOUT_S + 15) * 1000),
    );
    const movedMs = Math.max(...(await Promise.all(arrivals))) - frozenAt;
    expect(movedMs).toBeLessThan((NO_DATA_TIMEOUT_S + 6) * 1000);
    expect(players.every((p) => !p.ended)).toBe(true);
    expect((await simSessions(healthy)).active).toBe(1);
    const meta = await stack.redis!.hget(stack.key('stream', id, 'metadata'), 'engine_port');
    expect(Number(meta)).toBe(healthy.port);

    // While it hangs, a new stream is not sent to it (it is least loaded): no wait on its API.
    const other = 'b8'.repeat(20);
    const started = performance.now();
    const newcomer = await capture(stack.streamUrl(other));
    await newcomer.waitForBytes(20_000);
    expect(performance.now() - started).toBeLessThan(3000);
    expect((await simSessions(healthy)).active).toBe(2);
    newcomer.close();

    // Thawed, it answers its version check again and the session abandoned on it is stopped.
    await hang(frozen.url, false);
    await waitFor(async () => (await simSessions(frozen)).active === 0, {
      what: 'the abandoned session on the thawed engine to be stopped',
      timeoutMs: 15_000,
    });
    expect((await simSessions(frozen)).stop_reasons.command).toBe(1);
    for (const p of players) p.close();
    const { body } = await getJson<{ state: string }>(`${stack.gateway.url}/proxy/streams/${id}`);
    expect(body.state).not.toBe('error');
  });
});
