// Drive-by requests (issue 20, item 4): a page a LAN user opens fires requests for random ids and
// made-up HLS sessions. The per address limits keep engine slots for everyone else, made-up
// sessions start nothing, and behind HAProxy the limits apply per player, cluster-wide.

import { createHash } from 'node:crypto';
import { parseStreamId } from '@acestream-proxy/keys';
import {
  type Capture,
  capture,
  type Haproxy,
  type Stack,
  simSessions,
  startHaproxy,
  startStack,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const channel = (name: string) => parseStreamId(createHash('sha1').update(name).digest('hex'));

/** A player on its own address (Linux loopback answers from any 127/8 address). */
const playFrom = (localAddress: string, url: string) => capture(url, {}, { localAddress });

async function errorOf(player: Capture): Promise<{ error: string; message: string }> {
  await player.waitForEnd();
  return JSON.parse(player.bytes().toString());
}

describe('per client address limits against drive-by requests', () => {
  let stack: Stack;
  let lb: Haproxy;
  /** A second household's player, watching through the tests. */
  let neighbour: Capture;
  const watched = channel('the neighbour watches this');
  const open: Capture[] = [];

  beforeAll(async () => {
    stack = await startStack({
      label: 'client_limits',
      gateways: 2,
      env: {
        // Three engine slots, each held for the grace period after a drive-by request leaves.
        ENGINE_MAX_STREAMS: '3',
        PROXY_GRACE_PERIOD: '5',
        // The limits under test, low enough to reach with a few requests (the fixture turns them off).
        PROXY_MAX_NEW_SESSIONS_PER_MINUTE: '2',
        PROXY_MAX_CONNECTIONS_PER_ADDRESS: '3',
      },
    });
    lb = await startHaproxy(stack.gateways.map((g) => ({ host: '127.0.0.1', port: g.port })));
  });

  afterAll(async () => {
    for (const player of [...open, neighbour]) player?.close();
    await lb?.stop();
    await stack?.stop();
  });

  it("leaves engine slots for a second address's new channel after one address's drive-by requests", async () => {
    // Three random ids at once from 127.0.0.1 (loopback is limited like any address), each
    // dropped as soon as it plays: every one would hold an engine slot for the grace period.
    const ids = [1, 2, 3].map((n) => channel(`random ${n} ${Date.now()}`));
    const driveBy = await Promise.all(ids.map((id) => playFrom('127.0.0.1', stack.streamUrl(id))));
    const refused = driveBy.filter((p) => p.status === 429);
    // The refused start left nothing behind (no claim, no epoch, no client record).
    const refusedId = ids[driveBy.indexOf(refused[0]!)]!;
    expect((await stack.keys()).filter((k) => k.includes(refusedId))).toEqual([]);
    expect(driveBy.map((p) => p.status).sort()).toEqual([200, 200, 429]);
    for (const player of driveBy.filter((p) => p.status === 200)) {
      await player.waitForBytes(188);
      player.close();
    }
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused[0]!.headers['retry-after'])).toBeLessThanOrEqual(60);
    const body = await errorOf(refused[0]!);
    expect(body.error).toBe('too_many_new_sessions');
    expect(body.message).toContain('PROXY_MAX_NEW_SESSIONS_PER_MINUTE=2');

    // Another household opens a channel nobody watches, while both drive-by sessions are in their grace period.
    neighbour = await playFrom('127.0.0.2', stack.streamUrl(watched));
    expect(neighbour.status).toBe(200);
    await neighbour.waitForBytes(188 * 100);
    expect((await simSessions(stack.sim)).active).toBe(3);
  });

  it('answers 400 for an HLS session it never handed out, on every host, and starts nothing', async () => {
    const before = (await simSessions(stack.sim)).started;
    const madeUp = await fetch(`${stack.gateway.url}/ace/hls/${channel('made up')}/${crypto.randomUUID()}/index.m3u8`);
    expect(madeUp.status).toBe(400);
    expect(((await madeUp.json()) as { error: string }).error).toBe('bad_hls_request');

    // A session handed out by one host plays on the other (the key is the cluster's), and only
    // for the stream it was handed out for.
    const master = await fetch(`${stack.gateways[0]!.url}/ace/manifest.m3u8?id=${watched}`);
    expect(master.status).toBe(200);
    const variant = (await master.text()).split('\n').find((line) => line.startsWith('hls/'))!;
    const media = await fetch(`${stack.gateways[1]!.url}/ace/${variant}`);
    expect(media.status).toBe(200);
    expect(await media.text()).toContain('#EXTINF');
    const elsewhere = await fetch(`${stack.gateways[1]!.url}/ace/${variant.replace(watched, channel('made up'))}`);
    expect(elsewhere.status).toBe(400);
    expect((await simSessions(stack.sim)).started).toBe(before);
  });

  it('limits players per address behind HAProxy (X-Forwarded-For from a trusted proxy), across hosts', async () => {
    const url = `${lb.url}/ace/getstream?id=${watched}`;
    // Round robin spreads one address's players over both gateways: the count is cluster-wide.
    for (let i = 0; i < 3; i++) {
      const player = await playFrom('127.0.0.3', url);
      open.push(player);
      expect(player.status).toBe(200);
    }
    const fourth = await playFrom('127.0.0.3', url);
    expect(fourth.status).toBe(429);
    expect(fourth.headers['retry-after']).toBeDefined();
    const body = await errorOf(fourth);
    expect(body.error).toBe('too_many_connections');
    expect(body.message).toContain('PROXY_MAX_CONNECTIONS_PER_ADDRESS=3');

    // Another player behind the same load balancer is not held to 127.0.0.3's limit.
    const other = await playFrom('127.0.0.4', url);
    open.push(other);
    expect(other.status).toBe(200);

    // A player that leaves gives its slot back at once.
    open.shift()!.close();
    const again = await waitFor(
      async () => {
        const player = await playFrom('127.0.0.3', url);
        if (player.status === 200) return player;
        player.close();
        return null;
      },
      { what: "127.0.0.3's slot given back", timeoutMs: 5_000 },
    );
    open.push(again);
  });
});
