// Issue 20, items 5 and 8: the status feed under abuse. Six /proxy/events watchers that never read
// and 300 paused players with 15 KB user agents leave a worker's memory within +50 MB (agents are
// cut, snapshots list 50 players and the total, a watcher holds at most one unsent snapshot; the
// drop of stalled watchers is tested in status-watchers.test.ts); no anonymous view carries the
// engine session (id, control URLs).

import type net from 'node:net';
import { type Capture, capture, getJson, type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rss, silentClient } from './attackers.js';
import { snapshotWhere } from './helpers.js';

const ID = 'a5'.repeat(20);
const API_KEY = 'status-abuse-test-key-0123456789';
const PLAYERS = 300;
const WATCHERS = 6;
/** Long enough for uncut snapshots (4.5 MB each) to pile up in the silent watchers (+92 MB in 6 s before the fix). */
const ABUSE_MS = 5000;
const ENGINE_SESSION_FIELDS = ['playback_session_id', 'playback_url', 'stat_url', 'command_url', 'engine_session'];

describe('the status feed with silent watchers and 300 long user agents (embedded mode)', () => {
  let stack: Stack;
  let first: Capture;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    stack = await startStack({ redis: 'none', env: { PROXY_API_KEY: API_KEY, PROXY_HEARTBEAT_INTERVAL: '1' } });
    first = await capture(stack.streamUrl(ID), { 'user-agent': 'first player' });
    await first.waitForBytes(20_000);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    first?.close();
    await stack?.stop();
  });

  it('keeps the worker within +50 MB and lists 50 players of 301, agents cut to 256 characters', async () => {
    const { owner } = (await getJson<{ owner: string }>(`${stack.gateway.url}/proxy/streams/${ID}`)).body;
    const worker = Number(owner.split(':').at(-1));
    const before = rss(worker);

    const { port } = stack.gateway;
    for (let i = 0; i < PLAYERS; i++) {
      const agent = `PausedPlayer/${i} ${'x'.repeat(15 * 1024)}`;
      sockets.push(await silentClient(port, `/ace/getstream?id=${ID}`, agent));
    }
    for (let i = 0; i < WATCHERS; i++) sockets.push(await silentClient(port, '/proxy/events', `watcher ${i}`));

    let peak = before;
    const until = Date.now() + ABUSE_MS;
    while (Date.now() < until) {
      peak = Math.max(peak, rss(worker));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    process.stdout.write(`worker RSS ${(before / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB\n`);
    expect(peak - before).toBeLessThan(50 * 2 ** 20);

    const snapshot = await snapshotWhere(stack.gateway.url, (s) =>
      s.streams.some((x) => x.id === ID && x.client_count === PLAYERS + 1),
    );
    const stream = snapshot.streams.find((x) => x.id === ID)!;
    expect(stream.clients).toHaveLength(50);
    expect(stream.clients[0]!.user_agent).toBe('first player');
    expect(Math.max(...stream.clients.map((c) => c.user_agent.length))).toBe(256);
  });

  it('shows the engine session to no anonymous view, and to the API key only', async () => {
    const sims = (await getJson<{ sessions: Array<{ playback_session_id: string }> }>(`${stack.sim.url}/sim/sessions`)).body;
    const session = sims.sessions[0]!.playback_session_id;
    expect(session.length).toBeGreaterThan(8);

    const anonymous = [
      await (await fetch(`${stack.gateway.url}/proxy/streams`)).text(),
      await (await fetch(`${stack.gateway.url}/proxy/streams/${ID}`)).text(),
      JSON.stringify(await snapshotWhere(stack.gateway.url, (s) => s.streams.some((x) => x.id === ID))),
    ];
    // Booleans, not the texts: a failure would print megabytes of user agents.
    for (const text of anonymous) {
      expect(text.includes(ID)).toBe(true);
      expect(text.includes(session)).toBe(false);
      expect(ENGINE_SESSION_FIELDS.filter((field) => text.includes(field))).toEqual([]);
    }

    const admin = await fetch(`${stack.gateway.url}/proxy/streams/${ID}`, { headers: { 'X-API-Key': API_KEY } });
    expect(((await admin.json()) as { engine_session: { playback_session_id: string } }).engine_session).toMatchObject({
      playback_session_id: session,
    });
    const wrong = await fetch(`${stack.gateway.url}/proxy/streams`, { headers: { 'X-API-Key': 'not-the-key-0123456789' } });
    expect(wrong.status).toBe(401);
  });
});
