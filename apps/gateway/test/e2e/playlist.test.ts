// Channel playlists end to end: a playlist host, a two-worker gateway on Redis, ffprobe and VLC as players.

import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { ffprobe, type Stack, startStack, vlcRecord, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);

const IDS = ['a1', 'b2', 'c3', 'd4'].map((p) => p.repeat(20));
/** What an IPTV user's list looks like: BOM, CRLF, three ways of naming an AceStream id. */
const SOURCE = `\ufeff#EXTM3U url-tvg="http://epg.example/guide.xml"\r
#EXTINF:-1 tvg-id="one" tvg-logo="http://logo.example/1.png" group-title="Sport",Спорт 1, HD\r
#EXTVLCOPT:network-caching=1000\r
acestream://${IDS[0]!.toUpperCase()}\r
\r
#EXTINF:-1 tvg-id="two" group-title="Sport",Deux\r
http://192.168.1.5:6878/ace/getstream?infohash=${IDS[1]}\r
#EXTINF:-1 group-title="News",三\r
${IDS[2]}\r
#EXTINF:-1 group-title="News",Elsewhere\r
http://cdn.example/live/stream.m3u8\r
#EXTINF:-1 group-title="News",Same as one\r
acestream://${IDS[0]}\r
#EXTINF:-1 group-title="VLC check",Four\r
acestream://${IDS[3]}\r
`;

/** The host the configured source lives on; records every request it gets. */
interface PlaylistHost {
  url: string;
  answer: { status: number; body: string };
  requests: Array<{ path: string; at: number }>;
  close(): Promise<void>;
}

async function startPlaylistHost(): Promise<PlaylistHost> {
  const host: PlaylistHost = {
    url: '',
    answer: { status: 200, body: SOURCE },
    requests: [],
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    host.requests.push({ path: req.url ?? '', at: Date.now() });
    res.writeHead(host.answer.status, { 'content-type': 'audio/x-mpegurl' }).end(host.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return host;
}

/** Target lines of an M3U text. */
function targets(m3u: string): string[] {
  return m3u.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** ffprobe as a player: opens the URL itself and reads until it knows the streams. */
async function probeUrl(url: string): Promise<string[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-probesize', '500000', '-analyzeduration', '1000000', '-show_streams', '-of', 'json', url],
    { timeout: 30_000 },
  );
  return (JSON.parse(stdout) as { streams: Array<{ codec_name: string }> }).streams.map((s) => s.codec_name);
}

describe('channel playlists on a two-worker gateway in Redis mode', () => {
  let host: PlaylistHost;
  let stack: Stack;
  const REFRESH_MS = 1200;

  beforeAll(async () => {
    host = await startPlaylistHost();
    stack = await startStack({
      label: 'playlist',
      workers: 2,
      env: {
        PLAYLIST_SOURCES: `${host.url}/list.m3u`,
        PLAYLIST_REFRESH_MINUTES: String(REFRESH_MS / 60_000),
        PLAYLIST_MAX_BYTES: '65536',
        PLAYLIST_REWRITE_MAX_BYTES: '65536',
        // The source's url-tvg (epg.example) is not read here: without a guide the header is passed on as found.
        EPG_FROM_PLAYLISTS: 'false',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await host?.close();
  });

  it('serves the source rewritten, and its first three entries play through the proxy (ffprobe)', async () => {
    const res = await fetch(`${stack.gateway.url}/playlist.m3u`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/x-mpegurl; charset=utf-8');
    const text = await res.text();
    expect(text.split('\n').slice(0, 4)).toEqual([
      '#EXTM3U url-tvg="http://epg.example/guide.xml"',
      '#EXTINF:-1 tvg-id="one" tvg-logo="http://logo.example/1.png" group-title="Sport",Спорт 1, HD',
      '#EXTVLCOPT:network-caching=1000',
      `${stack.gateway.url}/ace/getstream?id=${IDS[0]}`,
    ]);
    const lines = targets(text);
    // The duplicate of the first id is gone; the CDN stream passes through untouched.
    expect(lines).toEqual([
      `${stack.gateway.url}/ace/getstream?id=${IDS[0]}`,
      `${stack.gateway.url}/ace/getstream?id=${IDS[1]}`,
      `${stack.gateway.url}/ace/getstream?id=${IDS[2]}`,
      'http://cdn.example/live/stream.m3u8',
      `${stack.gateway.url}/ace/getstream?id=${IDS[3]}`,
    ]);
    const codecs = await Promise.all(lines.slice(0, 3).map(probeUrl));
    expect(codecs).toEqual([['h264'], ['h264'], ['h264']]);
  });

  it('lists channels as JSON, filters by group, and gives manifest URLs with format=hls', async () => {
    const json = (await (await fetch(`${stack.gateway.url}/playlist.json?group=sport`)).json()) as {
      channels: Array<Record<string, unknown>>;
      groups: string[];
    };
    expect(json.groups).toEqual(['Sport', 'News', 'VLC check']);
    expect(json.channels).toEqual([
      {
        id: IDS[0],
        name: 'Спорт 1, HD',
        group: 'Sport',
        logo: 'http://logo.example/1.png',
        tvg_id: 'one',
        url: `${stack.gateway.url}/ace/getstream?id=${IDS[0]}`,
      },
      expect.objectContaining({ id: IDS[1], name: 'Deux' }),
    ]);
    const hls = await (await fetch(`${stack.gateway.url}/playlist.m3u?format=hls&group=News`)).text();
    expect(targets(hls)).toEqual([`${stack.gateway.url}/ace/manifest.m3u8?id=${IDS[2]}`, 'http://cdn.example/live/stream.m3u8']);
    const bad = await fetch(`${stack.gateway.url}/playlist.m3u?format=mkv`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_playlist_option' });
  });

  it('keeps the copy in Redis, refreshed by one worker at a time', async () => {
    expect(await stack.redis!.exists(stack.key('{playlist}', 'merged'))).toBe(1);
    const from = host.requests.length;
    await waitFor(() => host.requests.length >= from + 3, { timeoutMs: 20_000, what: 'three more refreshes' });
    // Two workers refreshing on their own would often ask within moments of each other.
    const times = host.requests.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(REFRESH_MS * 0.8);
    expect(new Set(host.requests.map((r) => r.path))).toEqual(new Set(['/list.m3u']));
  });

  it('keeps serving the last good copy when the source fails, and /health names it', async () => {
    const before = await (await fetch(`${stack.gateway.url}/playlist.m3u`)).text();
    host.answer = { status: 500, body: 'upstream broke' };
    const health = await waitFor(
      async () => {
        const body = (await (await fetch(`${stack.gateway.url}/health`)).json()) as {
          status: string;
          playlist: { sources: Array<{ source: string; ok: boolean; error: string; entries: number }> };
        };
        return body.playlist.sources[0]?.ok === false ? body : null;
      },
      { timeoutMs: 20_000, what: 'the failure in /health' },
    );
    expect(health.status).toBe('ok');
    expect(health.playlist.sources).toEqual([
      expect.objectContaining({ source: `${host.url}/list.m3u`, ok: false, error: 'HTTP 500 Internal Server Error', entries: 6 }),
    ]);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${stack.gateway.url}/playlist.m3u`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(before);
    }
    expect(stack.gateway.output.join('\n')).toContain('playlist source failed; keeping its last good copy');
    host.answer = { status: 200, body: SOURCE };
  });

  it('rewrites a posted playlist without fetching anything it names; 413 past the cap', async () => {
    const before = host.requests.length;
    const body = `#EXTM3U url-tvg="${host.url}/trap-epg.xml"\n#EXTINF:-1,Trap\n${host.url}/trap.m3u\n${IDS[2]!.toUpperCase()}\n`;
    const res = await fetch(`${stack.gateway.url}/playlist/rewrite`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      `#EXTM3U url-tvg="${host.url}/trap-epg.xml"\n#EXTINF:-1,Trap\n${host.url}/trap.m3u\n#EXTINF:-1,${IDS[2]}\n${stack.gateway.url}/ace/getstream?id=${IDS[2]}\n`,
    );
    const garbage = await fetch(`${stack.gateway.url}/playlist/rewrite`, { method: 'POST', body: '<html></html>' });
    expect(garbage.status).toBe(400);
    const big = await fetch(`${stack.gateway.url}/playlist/rewrite`, { method: 'POST', body: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'body_too_large' });
    // Query parameters name no source either.
    await fetch(`${stack.gateway.url}/playlist.m3u?url=${encodeURIComponent(`${host.url}/trap.m3u`)}`);
    expect(host.requests.slice(before).filter((r) => r.path !== '/list.m3u')).toEqual([]);
  });

  it('builds URLs from PUBLIC_URL, or forwarded headers only with TRUST_PROXY', async () => {
    const forwarded = { 'x-forwarded-host': 'tv.example.net', 'x-forwarded-proto': 'https' };
    const first = async (url: string) => targets(await (await fetch(`${url}/playlist.m3u`, { headers: forwarded })).text())[0];
    expect(await first(stack.gateway.url)).toBe(`${stack.gateway.url}/ace/getstream?id=${IDS[0]}`);
    const [trusting, fixed] = await Promise.all([
      stack.addGateway({ TRUST_PROXY: 'true' }),
      stack.addGateway({ PUBLIC_URL: 'https://tv.example.com/ace-proxy/' }),
    ]);
    expect(await first(trusting.url)).toBe(`https://tv.example.net/ace/getstream?id=${IDS[0]}`);
    expect(await first(fixed.url)).toBe(`https://tv.example.com/ace-proxy/ace/getstream?id=${IDS[0]}`);
  });

  it('VLC opens the playlist and plays an entry', async () => {
    const recorded = await vlcRecord(`${stack.gateway.url}/playlist.m3u?group=${encodeURIComponent('VLC check')}`);
    const probe = await ffprobe(recorded);
    expect(probe.streams.map((s) => s.codec_name)).toContain('h264');
  });
});
