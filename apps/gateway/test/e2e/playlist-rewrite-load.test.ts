// Issue 20, item 6: POST /playlist/rewrite does not stall the players of its worker. Four clients
// posting the largest allowed list (PLAYLIST_REWRITE_MAX_BYTES, 1 MiB) in a loop leave a watching
// player's longest gap under 300 ms (the rewrite runs on a thread of its own; before, 637 ms with
// 1 MiB lists and 2 s with the 10 MiB then allowed); a larger body is refused with 413.
//
// On a shared two-core machine other jobs alone can make gaps past 300 ms. So a control gateway
// (same engine, no rewrites) is watched over the same seconds: what the machine does to one it
// does to the other, and only the rewritten-to worker's own stalls make its gap longer. Each
// gateway process also prints its event-loop delay (loop-delay.mjs), reported to say which it was.

import { fileURLToPath } from 'node:url';
import { type Stack, type StartedProcess, startStack, type TimedPlayer, timedPlayer } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bigList, poster } from './attackers.js';

const ID = 'b6'.repeat(20);
/** The control's channel: an engine serves one session per channel. */
const CONTROL_ID = 'c7'.repeat(20);
const LIMIT = 1024 * 1024;
const POSTERS = 4;
const LOAD_MS = 10_000;
const LOOP_DELAY = fileURLToPath(new URL('./loop-delay.mjs', import.meta.url));

/** The longest event-loop delay each process of `gateway` printed after `since` (ms since the epoch). */
function loopDelays(gateway: StartedProcess, since: number): Record<number, number> {
  const max: Record<number, number> = {};
  for (const line of gateway.output) {
    if (!line.startsWith('{"loop_delay_max_ms"')) continue;
    const { loop_delay_max_ms: ms, pid, at } = JSON.parse(line) as { loop_delay_max_ms: number; pid: number; at: number };
    if (at > since) max[pid] = Math.max(max[pid] ?? 0, ms);
  }
  return max;
}

describe('POST /playlist/rewrite under load (embedded mode)', () => {
  let stack: Stack;
  let control: StartedProcess;
  let player: TimedPlayer;
  let controlPlayer: TimedPlayer;
  const list = bigList(LIMIT);

  beforeAll(async () => {
    stack = await startStack({ redis: 'none', execArgv: ['--import', LOOP_DELAY] });
    control = await stack.addGateway();
    player = await timedPlayer(stack.streamUrl(ID));
    controlPlayer = await timedPlayer(stack.streamUrl(CONTROL_ID, control));
    await Promise.all([player.dataAfter(performance.now(), 10_000), controlPlayer.dataAfter(performance.now(), 10_000)]);
  });
  afterAll(async () => {
    player?.close();
    controlPlayer?.close();
    await stack?.stop();
  });

  it(`keeps a watching player's longest gap under 300 ms while four clients post 1 MiB lists for ${LOAD_MS / 1000} s`, async () => {
    expect(Buffer.byteLength(list)).toBeGreaterThan(LIMIT - 200);
    const started = performance.now();
    const startedAt = Date.now();
    // Posters in processes of their own: their HTTP work must not delay this one's player.
    const counts = await Promise.all(
      Array.from({ length: POSTERS }, () => poster(`${stack.gateway.url}/playlist/rewrite`, list, LOAD_MS)),
    );
    const statuses: Record<string, number> = {};
    for (const count of counts) for (const [status, n] of Object.entries(count)) statuses[status] = (statuses[status] ?? 0) + n;
    const gap = player.longestGapSince(started);
    const controlGap = controlPlayer.longestGapSince(started);
    process.stdout.write(
      `rewrites answered ${JSON.stringify(statuses)}; longest gap ${gap.toFixed(0)} ms (control gateway: ` +
        `${controlGap.toFixed(0)} ms); event-loop delay by pid ${JSON.stringify(loopDelays(stack.gateway, startedAt))} ` +
        `(control ${JSON.stringify(loopDelays(control, startedAt))})\n`,
    );
    expect(statuses['200'] ?? 0).toBeGreaterThanOrEqual(POSTERS);
    // 300 ms, or twice the control's gap when the machine alone made gaps longer than 150 ms then.
    expect(gap).toBeLessThan(Math.max(300, 2 * controlGap));
  });

  it('answers 413 JSON naming PLAYLIST_REWRITE_MAX_BYTES for a body one byte past it', async () => {
    const res = await fetch(`${stack.gateway.url}/playlist/rewrite`, { method: 'POST', body: 'x'.repeat(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: 'body_too_large',
      message: expect.stringContaining('PLAYLIST_REWRITE_MAX_BYTES'),
    });
  });
});
