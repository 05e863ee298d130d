// AUTH=token end to end: users' tokens, limits and per-user playlists on two gateway hosts behind
// HAProxy, on one Redis and on a Redis Cluster, with real players (VLC, ffmpeg, ffprobe).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import {
  type Capture,
  capture,
  ffprobe,
  type Haproxy,
  makeSampleTs,
  type Stack,
  startHaproxy,
  startStack,
  tempDir,
  vlcRecord,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

const run = promisify(execFile);
const API_KEY = 'users-test-admin-key';
const ids = ['a1', 'b2', 'c3', 'd4'].map((pair) => pair.repeat(20));
const PLAYLIST = [
  '#EXTM3U',
  `#EXTINF:-1 group-title="Sport",Sport 1\nacestream://${ids[0]}`,
  `#EXTINF:-1 group-title="Sport",Sport 2\nacestream://${ids[1]}`,
  `#EXTINF:-1 group-title="News",News\nacestream://${ids[2]}`,
  '',
].join('\n');

interface Issued {
  user: { name: string; limits: { channels: number; connections: number; policy: string } };
  token: string;
  playlist_url: string;
  hls_playlist_url: string;
}

/** A playlist source of the test's own (PLAYLIST_SOURCES). */
async function servePlaylist(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/x-mpegurl' }).end(PLAYLIST));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/list.m3u`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Target lines of an M3U text. */
const targets = (m3u: string) => m3u.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

/** The admin API through `base` with the admin key. */
async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function createUser(base: string, spec: Record<string, unknown>): Promise<Issued> {
  const created = await api<Issued>(base, 'POST', '/proxy/users', spec);
  expect(created.status).toBe(201);
  return created.body;
}

/** Opens players at once; each answers 200 and streams, or is refused with its JSON body. */
async function openAll(urls: string[]): Promise<Capture[]> {
  const players = await Promise.all(urls.map((url) => capture(url)));
  await Promise.all(players.map((p) => (p.status === 200 ? p.waitForBytes(20_000) : p.waitForEnd())));
  return players;
}

/** Every player route a player reaches without a token gets 401 + the Basic challenge and nothing else. */
const PLAYER_ROUTES = [
  `/ace/getstream?id=${ids[0]}`,
  `/ace/manifest.m3u8?id=${ids[0]}`,
  `/ace/hls/${ids[0]}/x/index.m3u8`,
  '/playlist.m3u',
  '/playlist.json',
  '/discover.json',
  '/lineup.json',
  '/lineup_status.json',
  '/device.xml',
  '/auto/v1',
  '/epg.xml',
];

/** A GET with its path sent exactly as given (fetch would resolve `..` and `%2e%2e` first). */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
  });
}

/** Starts an HLS player session of a user: the media playlist URL its manifest points at. */
async function openSession(base: string, token: string, id: string): Promise<string> {
  const res = await fetch(`${base}/u/${token}/ace/manifest.m3u8?id=${id}`);
  expect(res.status).toBe(200);
  const media = (await res.text()).trim().split('\n').at(-1)!;
  return `${base}/u/${token}/ace/${media}`;
}

function ffmpegPlays(url: string, seconds: number): Promise<{ code: number; errors: string }> {
  const args = ['-v', 'error', '-http_persistent', '0', '-i', url, '-t', String(seconds), '-f', 'null', '-'];
  return new Promise((resolve) => {
    execFile('ffmpeg', args, { timeout: (seconds + 40) * 1000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, errors: stderr });
    });
  });
}

describe('AUTH=token on two gateway hosts behind HAProxy (Redis)', () => {
  let source: { url: string; close(): Promise<void> };
  let stack: Stack;
  let lb: Haproxy;
  const tokens: string[] = [];
  const issue = async (spec: Record<string, unknown>) => {
    const issued = await createUser(lb.url, spec);
    tokens.push(issued.token);
    return issued;
  };
  const streamUrl = (base: string, token: string, id: string) => `${base}/u/${token}/ace/getstream?id=${id}`;

  beforeAll(async () => {
    source = await servePlaylist();
    const sample = await makeSampleTs(tempDir('users'), 4);
    stack = await startStack({
      label: 'users',
      gateways: 2,
      simEnv: { SOURCE: 'file', SOURCE_FILE: sample },
      env: {
        AUTH: 'token',
        PROXY_API_KEY: API_KEY,
        PLAYLIST_SOURCES: source.url,
        ENGINE_MAX_STREAMS: '20',
        PROXY_HLS_TARGET_DURATION: '1',
        LOG_LEVEL: 'debug',
      },
    });
    lb = await startHaproxy(stack.gateways.map((g) => ({ host: '127.0.0.1', port: g.port })));
  });
  afterAll(async () => {
    await lb?.stop();
    await stack?.stop();
    await source?.close();
  });

  it('refuses every player route without a valid token: 401, a Basic challenge, a JSON body', async () => {
    const { token } = await issue({ name: 'checker' });
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const route of PLAYER_ROUTES) {
      for (const prefix of ['', `/u/${wrong}`, '/u/short']) {
        const res = await fetch(`${lb.url}${prefix}${route}`);
        expect([route, prefix, res.status]).toEqual([route, prefix, 401]);
        expect(res.headers.get('www-authenticate')).toBe('Basic realm="acestream-proxy", charset="UTF-8"');
        expect(await res.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('/u/<token>/') });
      }
    }
    // With the token, the same routes answer (the playlist's, the tuner's) and operator routes stay as they were.
    expect((await fetch(`${lb.url}/u/${token}/lineup_status.json`)).status).toBe(200);
    expect((await fetch(`${lb.url}/health`)).status).toBe(200);
    expect((await fetch(`${lb.url}/u/${token}/health`)).status).toBe(404);
    const discover = (await (await fetch(`${lb.url}/u/${token}/discover.json`)).json()) as Record<string, string>;
    expect(discover.BaseURL).toMatch(new RegExp(`/u/${token}$`));
    expect(discover.LineupURL).toMatch(new RegExp(`/u/${token}/lineup.json$`));
    // The admin API: bad input is 400 JSON naming the field, a taken name 409, an unknown one 404, no key 401.
    const bad = await api<{ error: string; message: string }>(lb.url, 'POST', '/proxy/users', { name: 'Bad Name' });
    expect([bad.status, bad.body.error]).toEqual([400, 'bad_user']);
    expect(bad.body.message).toContain('user name');
    expect((await api(lb.url, 'POST', '/proxy/users', { name: 'checker' })).status).toBe(409);
    expect((await api(lb.url, 'PATCH', '/proxy/users/nobody', { enabled: false })).status).toBe(404);
    const policy = await api<{ error: string }>(lb.url, 'PATCH', '/proxy/users/checker', { limits: { policy: 'x' } });
    expect([policy.status, policy.body.error]).toEqual([400, 'bad_user']);
    const garbage = await fetch(`${lb.url}/proxy/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: '{not json',
    });
    expect([garbage.status, garbage.headers.get('content-type')]).toEqual([400, 'application/json; charset=utf-8']);
    expect((await fetch(`${lb.url}/proxy/users`)).status).toBe(401);
    // A user limited to a group gets only that group's entries, every one carrying its token.
    const news = await issue({ name: 'news-only', groups: ['News'] });
    const list = await (await fetch(news.playlist_url)).text();
    expect(targets(list)).toEqual([`${lb.url}/u/${news.token}/ace/getstream?id=${ids[2]}`]);
    const hls = await (await fetch(news.hls_playlist_url)).text();
    expect(targets(hls)).toEqual([`${lb.url}/u/${news.token}/ace/manifest.m3u8?id=${ids[2]}`]);
    const json = (await (await fetch(`${lb.url}/u/${news.token}/playlist.json`)).json()) as {
      groups: string[];
      channels: Array<{ url: string }>;
    };
    expect(json.groups).toEqual(['News']);
    expect(json.channels.map((c) => c.url)).toEqual([`${lb.url}/u/${news.token}/ace/getstream?id=${ids[2]}`]);
    // Its lineup shows the same channel, by the number it has for everyone.
    const lineup = (await (await fetch(`${lb.url}/u/${news.token}/lineup.json`)).json()) as Array<{ URL: string }>;
    expect(lineup).toHaveLength(1);
    expect(lineup[0]!.URL).toMatch(new RegExp(`^${lb.url}/u/${news.token}/auto/v\\d+$`));
  });

  it('a user limited to 2 channels opens 3 at once: exactly 2 play, the third gets 429; a channel on two players counts once', async () => {
    const { token } = await issue({ name: 'two-channels', limits: { channels: 2, policy: 'refuse' } });
    const players = await openAll(ids.slice(0, 3).map((id) => streamUrl(lb.url, token, id)));
    const playing = players.filter((p) => p.status === 200);
    const refused = players.filter((p) => p.status === 429);
    expect(playing).toHaveLength(2);
    expect(refused).toHaveLength(1);
    expect(JSON.parse(refused[0]!.bytes().toString())).toEqual({ error: 'too_many_channels', message: expect.any(String) });
    // A second player of a channel the user watches is admitted: the same channel counts once.
    const watched = ids[players.indexOf(playing[0]!)]!;
    const again = await capture(streamUrl(lb.url, token, watched));
    expect(again.status).toBe(200);
    await again.waitForBytes(20_000);
    const listed = await api<{ users: Array<{ name: string; live_channels: number; live_connections: number }> }>(
      lb.url,
      'GET',
      '/proxy/users',
    );
    expect(listed.body.users.find((u) => u.name === 'two-channels')).toMatchObject({ live_channels: 2, live_connections: 3 });
    // No token, nor its SHA-256, in the list.
    const listing = JSON.stringify(listed.body);
    for (const token of tokens) {
      expect(listing).not.toContain(token);
      expect(listing).not.toContain(createHash('sha256').update(token).digest('hex'));
    }
    // Each player's client record names its user.
    const clients = await stack.redis.smembers(stack.key('stream', watched, 'clients'));
    const users = await Promise.all(clients.map((cid) => stack.redis.hget(stack.key('stream', watched, 'clients', cid), 'user')));
    expect(users).toEqual(['two-channels', 'two-channels']);
    for (const p of [...playing, again]) p.close();
    // Leaving frees the channels at once: a new channel plays.
    await waitFor(
      async () => {
        const next = await capture(streamUrl(lb.url, token, ids[3]!));
        next.close();
        return next.status === 200;
      },
      { what: 'a new channel admitted once the players left', timeoutMs: 5000 },
    );
  });

  it('policy oldest: a third channel plays and the oldest of the two ends, whichever host serves it', async () => {
    const { token } = await issue({ name: 'oldest', limits: { channels: 2, policy: 'oldest' } });
    // One player per host, so the evicted one may be on the other host than the newcomer.
    const first = (await openAll([streamUrl(stack.gateways[0]!.url, token, ids[0]!)]))[0]!;
    const second = (await openAll([streamUrl(stack.gateways[1]!.url, token, ids[1]!)]))[0]!;
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await capture(streamUrl(stack.gateways[1]!.url, token, ids[2]!));
    expect(third.status).toBe(200);
    await third.waitForBytes(20_000);
    await first.waitForEnd(5000);
    expect(second.ended).toBe(false);
    for (const p of [second, third]) p.close();
  });

  it('policy oldest ends an HLS session too: its requests get 410 on every host, never admitted again', async () => {
    const { token } = await issue({ name: 'one-connection', limits: { connections: 1, policy: 'oldest' } });
    const media = await openSession(lb.url, token, ids[0]!);
    expect((await fetch(media)).status).toBe(200);
    const tv = await capture(streamUrl(lb.url, token, ids[1]!));
    expect(tv.status).toBe(200);
    // Refused where it was served at its worker's next refresh (2 s here), at once where it was not.
    await waitFor(
      async () =>
        (await Promise.all(stack.gateways.map((g) => fetch(media.replace(lb.url, g.url))))).every((r) => r.status === 410),
      { what: 'the evicted HLS session refused on both hosts', timeoutMs: 5000 },
    );
    expect(tv.ended).toBe(false);
    tv.close();
  });

  it('disconnecting a user ends its TS and HLS players on both hosts; its token keeps working', async () => {
    const { token } = await issue({ name: 'disconnected' });
    const players = await openAll(stack.gateways.map((g, i) => streamUrl(g.url, token, ids[i]!)));
    const media = await openSession(lb.url, token, ids[2]!);
    expect((await fetch(media)).status).toBe(200);
    const answer = await api<{ status: string; connections: number }>(lb.url, 'POST', '/proxy/users/disconnected/disconnect');
    expect(answer).toEqual({ status: 202, body: expect.objectContaining({ status: 'disconnecting', connections: 3 }) });
    await Promise.all(players.map((p) => p.waitForEnd(5000)));
    await waitFor(
      async () =>
        (await Promise.all(stack.gateways.map((g) => fetch(media.replace(lb.url, g.url))))).every((r) => r.status === 410),
      { what: 'the HLS session refused on both hosts', timeoutMs: 5000 },
    );
    const again = await capture(streamUrl(lb.url, token, ids[0]!));
    expect(again.status).toBe(200);
    await again.waitForBytes(20_000);
    again.close();
  });

  it('rotating a token cuts its players on both hosts within 5 s; the old token gets 401; the new playlist plays', async () => {
    const issued = await issue({ name: 'rotating' });
    const players = await openAll(stack.gateways.map((g, i) => streamUrl(g.url, issued.token, ids[i]!)));
    expect(players.map((p) => p.status)).toEqual([200, 200]);
    // Within 5 s of asking: waitForEnd rejects past its deadline, counted from before the rotation.
    const ended = Promise.all(players.map((p) => p.waitForEnd(5000)));
    const rotated = await api<Issued>(lb.url, 'POST', '/proxy/users/rotating/rotate');
    expect(rotated.status).toBe(200);
    tokens.push(rotated.body.token);
    await ended;
    for (const g of stack.gateways) expect((await fetch(`${g.url}/u/${issued.token}/playlist.m3u`)).status).toBe(401);
    const entry = targets(await (await fetch(rotated.body.playlist_url)).text())[0]!;
    expect(entry).toContain(`/u/${rotated.body.token}/`);
    const player = await capture(entry);
    expect(player.status).toBe(200);
    await player.waitForBytes(50_000);
    player.close();
  });

  it("plays a user's playlist in VLC, follows its HLS entry with ffmpeg for 20 s, and probes with Basic credentials", async () => {
    await run('id', ['acevlc']).catch(() => {
      throw new Error('no user acevlc to run VLC as: run .ci/run, or useradd --system acevlc');
    });
    const { token, playlist_url, hls_playlist_url } = await issue({ name: 'viewer' });
    const hlsEntry = targets(await (await fetch(hls_playlist_url)).text())[1]!;
    const vlc = vlcRecord(`${playlist_url}?group=Sport`);
    const basic = new URL(`${lb.url}/ace/getstream?id=${ids[3]}`);
    basic.username = 'viewer';
    basic.password = token;
    const probe = run(
      'ffprobe',
      ['-v', 'error', '-probesize', '500000', '-analyzeduration', '1000000', '-show_streams', '-of', 'json', basic.href],
      { timeout: 30_000 },
    );
    const hls = await ffmpegPlays(hlsEntry, 20);
    expect(hls).toEqual({ code: 0, errors: '' });
    expect((await ffprobe(await vlc)).streams.map((s) => s.codec_name)).toContain('h264');
    const probed = JSON.parse((await probe).stdout) as { streams: Array<{ codec_name: string }> };
    expect(probed.streams.map((s) => s.codec_name)).toContain('h264');
  }, 60_000);

  it('fast-check over the credentials a request can carry: no 5xx, no token accepted that is no user’s', async () => {
    const { token } = await issue({ name: 'fuzzed' });
    const tokenish = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      fc.stringMatching(/^[A-Za-z0-9_-]{40,46}$/),
      fc.constant(token.toUpperCase()),
      fc.constant(`${token.slice(1)}A`),
      fc.string({ maxLength: 50 }).map(encodeURIComponent),
    );
    const rest = fc.constantFrom('/playlist.m3u', `/ace/getstream?id=${ids[0]}`, '/../proxy/users', '/%2e%2e/health', '//x', '/');
    const request = fc.record({
      path: fc.oneof(
        fc.tuple(tokenish, rest).map(([t, r]) => `/u/${t}${r}`),
        rest.map((r) => `/u${r}`),
        // Player routes as the router still reads them (legacy url.parse via parseurl), no token: in
        // absolute form, with a backslash for a slash, with a fragment mark.
        fc
          .tuple(fc.constantFrom(...PLAYER_ROUTES), fc.constantFrom('absolute', 'backslash', 'hash'))
          .map(([route, how]) =>
            how === 'absolute'
              ? `http://tv.example${route}`
              : how === 'backslash'
                ? route.replace(/\/(?=[^/?]*(\?|$))/, '\\')
                : route.includes('?')
                  ? route.replace('?', '#?')
                  : `${route}#`,
          ),
        // Player routes as the router would still match them (it ignores case), with no token.
        fc
          .tuple(fc.constantFrom(...PLAYER_ROUTES), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }))
          .map(([route, upper]) =>
            route.replace(/[a-z]/g, (c, at: number) =>
              upper[at % 60] && !route.slice(0, at).includes('?') ? c.toUpperCase() : c,
            ),
          ),
      ),
      basic: fc.option(fc.tuple(fc.oneof(fc.constantFrom('fuzzed', 'viewer', ''), fc.string({ maxLength: 10 })), tokenish), {
        nil: undefined,
      }),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ path, basic }) => {
        const headers: Record<string, string> = {};
        if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
        const res = await rawGet(stack.gateway.port, path, headers);
        const status = res.statusCode ?? 0;
        if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Basic /);
        // No 5xx, and only a user's own token (none of these) is let through to a route.
        if (status !== 401 && status !== 404 && status !== 400) throw new Error(`${path} answered ${status}`);
      }),
      { numRuns: 150 },
    );
  });

  it('no token appears in any log line of either host', () => {
    const output = stack.gateways.flatMap((g) => g.output).join('\n');
    expect(output.length).toBeGreaterThan(0);
    for (const token of tokens) expect(output.includes(token)).toBe(false);
  });
});

describe('AUTH=token on a Redis Cluster: the limit holds across hosts', () => {
  let stack: Stack;
  let lb: Haproxy;

  beforeAll(async () => {
    stack = await startStack({
      redis: 'cluster',
      gateways: 2,
      simEnv: { BITRATE: '300000' },
      env: { AUTH: 'token', PROXY_API_KEY: API_KEY, ENGINE_MAX_STREAMS: '20' },
    });
    lb = await startHaproxy(stack.gateways.map((g) => ({ host: '127.0.0.1', port: g.port })));
  });
  afterAll(async () => {
    await lb?.stop();
    await stack?.stop();
  });

  it('2 channels allowed, 3 opened at once through the load balancer: 2 play, 1 gets 429', async () => {
    const { token } = await createUser(lb.url, { name: 'clustered', limits: { channels: 2 } });
    const players = await openAll(ids.slice(0, 3).map((id) => `${lb.url}/u/${token}/ace/getstream?id=${id}`));
    expect(players.map((p) => p.status).sort()).toEqual([200, 200, 429]);
    const again = await capture(`${lb.url}/u/${token}/ace/getstream?id=${ids[players.findIndex((p) => p.status === 200)]}`);
    expect(again.status).toBe(200);
    for (const p of [...players, again]) p.close();
  });
});
