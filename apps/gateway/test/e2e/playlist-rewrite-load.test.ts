// Issue 20, item 6: POST /playlist/rewrite does not stall the players of its worker. Four clients
// posting the largest allowed list (PLAYLIST_REWRITE_MAX_BYTES, 1 MiB) in a loop for 10 s leave a
// watching player's longest gap under 300 ms (the rewrite runs on a thread of its own; before,
// 637 ms with 1 MiB lists and 2 s with the 10 MiB then allowed); a larger body is refused with 413.

import { type Stack, startStack, type TimedPlayer, timedPlayer } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bigList, poster } from './attackers.js';

const ID = 'b6'.repeat(20);
const LIMIT = 1024 * 1024;
const POSTERS = 4;
const LOAD_MS = 10_000;
const QUIET_MS = 2000;

describe('POST /playlist/rewrite under load (embedded mode)', () => {
  let stack: Stack;
  let player: TimedPlayer;
  const list = bigList(LIMIT);

  beforeAll(async () => {
    stack = await startStack({ redis: 'none' });
    player = await timedPlayer(stack.streamUrl(ID));
    await player.dataAfter(performance.now(), 10_000);
  });
  afterAll(async () => {
    player?.close();
    await stack?.stop();
  });

  it("keeps a watching player's longest gap under 300 ms while four clients post 1 MiB lists for 10 s", async () => {
    expect(Buffer.byteLength(list)).toBeGreaterThan(LIMIT - 200);
    // This machine's own hiccups (other jobs on two cores) show in a quiet stretch first.
    const quietFrom = performance.now();
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const quietGap = player.longestGapSince(quietFrom);
    const started = performance.now();
    // Posters in processes of their own: their HTTP work must not delay this one's player.
    const counts = await Promise.all(
      Array.from({ length: POSTERS }, () => poster(`${stack.gateway.url}/playlist/rewrite`, list, LOAD_MS)),
    );
    const statuses: Record<string, number> = {};
    for (const count of counts) for (const [status, n] of Object.entries(count)) statuses[status] = (statuses[status] ?? 0) + n;
    const gap = player.longestGapSince(started);
    process.stdout.write(
      `rewrites answered ${JSON.stringify(statuses)}; longest gap ${gap.toFixed(0)} ms (quiet: ${quietGap.toFixed(0)} ms)\n`,
    );
    expect(statuses['200'] ?? 0).toBeGreaterThanOrEqual(POSTERS);
    // 300 ms, or twice the quiet gap when the machine alone makes gaps longer than 150 ms.
    expect(gap).toBeLessThan(Math.max(300, 2 * quietGap));
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
