// Connection deadlines in every mode: slowloris and idle connections are closed while players
// stream on undisturbed, and a worker past its connection budget answers a fast 503.

import { type Stack, startStack, type TimedPlayer, timedPlayer, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keptAlive, open, type Probe, slowloris } from './attackers.js';

const HEADERS_S = 1;
const IDLE_S = 1;
/** Connections per worker: the players and the 200 below fit, a burst of 300 more does not. */
const BUDGET = 300;

function deadlinesSuite(name: string, options: { redis: 'shared' | 'none'; workers?: number }) {
  describe(name, () => {
    let stack: Stack;
    const probes: Probe[] = [];
    let players: TimedPlayer[] = [];

    beforeAll(async () => {
      stack = await startStack({
        label: 'deadlines',
        redis: options.redis,
        workers: options.workers,
        env: {
          PROXY_HEADERS_TIMEOUT: String(HEADERS_S),
          PROXY_IDLE_TIMEOUT: String(IDLE_S),
          PROXY_MAX_CONNECTIONS: String(BUDGET),
        },
      });
    });
    afterAll(async () => {
      for (const p of players) p.close();
      for (const p of probes) p.socket.destroy();
      await stack?.stop();
    });

    it('closes 100 slowloris and 100 idle connections within the headers deadline + 2 s, players streaming without a gap', async () => {
      players = await Promise.all(['a1', 'b2', 'a1', 'b2'].map((id) => timedPlayer(stack.streamUrl(id.repeat(20)))));
      await Promise.all(players.map((p) => p.dataAfter(0, 15_000)));
      const since = performance.now();
      const attack = await Promise.all([
        ...Array.from({ length: 100 }, () => slowloris(stack.gateway.url)),
        ...Array.from({ length: 100 }, () => open(stack.gateway.url)),
        ...Array.from({ length: 10 }, () => keptAlive(stack.gateway.url)),
      ]);
      probes.push(...attack);
      await waitFor(() => attack.every((p) => !Number.isNaN(p.closedAt)), {
        what: 'every slowloris and idle connection to be closed',
        timeoutMs: (HEADERS_S + 5) * 1000,
      });
      const longest = Math.max(...attack.map((p) => p.closedAt - p.openedAt));
      expect(longest).toBeLessThan((Math.max(HEADERS_S, IDLE_S) + 2) * 1000);
      // Slowloris got the 408 node's own check would send; the kept-alive ones their answer first.
      expect(attack.slice(0, 100).every((p) => p.received.startsWith('HTTP/1.1 408'))).toBe(true);
      expect(attack.slice(200).every((p) => p.received.startsWith('HTTP/1.1 200'))).toBe(true);
      for (const p of players) {
        expect(p.ended).toBe(false);
        expect(p.longestGapSince(since)).toBeLessThan(500);
      }
    });

    it('answers connections past PROXY_MAX_CONNECTIONS with a fast 503 and Retry-After', async () => {
      const workers = options.workers ?? 1;
      const burst = await Promise.all(Array.from({ length: BUDGET * workers + 50 }, () => open(stack.gateway.url)));
      probes.push(...burst);
      await waitFor(() => burst.filter((p) => p.received.includes('\r\n\r\n')).length >= 50, {
        what: 'the connections past the budget to be answered',
        timeoutMs: 2000,
      });
      const refused = burst.filter((p) => p.received !== '');
      for (const p of refused) {
        expect(p.received).toMatch(/^HTTP\/1\.1 503 /);
        expect(p.received).toMatch(/\r\nRetry-After: \d+\r\n/);
        expect(JSON.parse(p.received.slice(p.received.indexOf('\r\n\r\n') + 4)).error).toBe('too_many_connections');
      }
      for (const p of players) expect(p.ended).toBe(false);
    });
  });
}

deadlinesSuite('connection deadlines, Redis mode (two workers on the shared socket)', { redis: 'shared', workers: 2 });
deadlinesSuite('connection deadlines, embedded mode', { redis: 'none' });
