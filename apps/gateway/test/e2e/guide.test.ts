// The XMLTV guide end to end: a two-worker gateway on Redis merges a gzip file and an http source
// (a local host) into /epg.xml, which tv_validate_file accepts, with the ids the playlist and the
// tuner use; the playlist points players at it, /health names a failing source, and the status page
// names the channel a player watches and what is on now.
/// <reference lib="dom" />

import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { capture, getJson, type Stack, startStack, tempDir, validateXmltv, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, snapshotWhere } from './helpers.js';

const [A, B, C] = ['a7', 'b8', 'c9'].map((p) => p.repeat(20)) as [string, string, string];
const HOUR = 3_600_000;
const xmltvTime = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)} +0000`;

/** A small XMLTV guide whose programmes run now: `[id, name, title of what is on]` per channel. */
function guide(channels: Array<[string, string, string]>, at = Date.now()): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<tv generator-info-name="guide.test">'];
  for (const [id, name] of channels) lines.push(`<channel id="${id}"><display-name>${name}</display-name></channel>`);
  for (const [id, , title] of channels) {
    lines.push(
      `<programme start="${xmltvTime(at - HOUR)}" stop="${xmltvTime(at + HOUR)}" channel="${id}"><title>${title}</title></programme>`,
      `<programme start="${xmltvTime(at + HOUR)}" stop="${xmltvTime(at + 2 * HOUR)}" channel="${id}"><title>Later</title></programme>`,
    );
  }
  lines.push('</tv>');
  return `${lines.join('\n')}\n`;
}

/** A 1×1 PNG: the channel logo the status page shows. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

/** The http guide source: /web.xml answers, /broken.xml fails, /slow.xml never answers; /sport.png is a logo. */
async function startGuideHost() {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/web.xml')
      res.writeHead(200, { 'content-type': 'application/xml' }).end(guide([['news.web', 'News 24', 'Headlines']]));
    else if (req.url === '/slow.xml') held.push(res);
    else if (req.url === '/sport.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Raw GET (no automatic decoding): status, headers, body bytes. */
function rawGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('the XMLTV guide on a two-worker gateway in Redis mode', () => {
  const dir = tempDir('guide-e2e');
  let host: Awaited<ReturnType<typeof startGuideHost>>;
  let stack: Stack;

  beforeAll(async () => {
    host = await startGuideHost();
    writeFileSync(
      join(dir, 'file.xml.gz'),
      gzipSync(
        guide([
          ['sport.hd', 'Sport HD', 'The Match'],
          ['movies.tv', 'Movies', 'A Film'],
          ['other.tv', 'Not listed', 'x'],
        ]),
      ),
    );
    // The third channel has no tvg-id: matched to news.web by its name, its guide id is ace.<GuideNumber>.
    writeFileSync(
      join(dir, 'list.m3u'),
      [
        `#EXTM3U url-tvg="${host.url}/web.xml" tvg-shift="0"`,
        `#EXTINF:-1 tvg-id="sport.hd" tvg-logo="${host.url}/sport.png",Sport HD`,
        `acestream://${A}`,
        '#EXTINF:-1 tvg-id="movies.tv" tvg-chno="20",Movies',
        `acestream://${B}`,
        '#EXTINF:-1,News 24',
        `acestream://${C}`,
        '',
      ].join('\n'),
    );
    stack = await startStack({
      label: 'guide',
      workers: 2,
      env: {
        WORKERS: '2',
        PLAYLIST_SOURCES: join(dir, 'list.m3u'),
        EPG_SOURCES: `${join(dir, 'file.xml.gz')},${host.url}/broken.xml`,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await host?.close();
  });

  it('serves /epg.xml and /epg.xml.gz, valid for tv_validate_file, with the ids of the playlist and the tuner', async () => {
    const xml = await waitFor(
      async () => {
        const res = await fetch(`${stack.gateway.url}/epg.xml`);
        return res.status === 200 ? { text: await res.text(), type: res.headers.get('content-type') } : null;
      },
      { timeoutMs: 20_000, what: '/epg.xml answering 200' },
    );
    expect(xml.type).toBe('application/xml; charset=utf-8');
    writeFileSync(join(dir, 'epg.xml'), xml.text);
    await validateXmltv(join(dir, 'epg.xml'));
    const gz = await rawGet(`${stack.gateway.url}/epg.xml.gz`);
    expect(gz.headers['content-type']).toBe('application/gzip');
    writeFileSync(join(dir, 'epg-from-gz.xml'), gunzip(gz.body));
    await validateXmltv(join(dir, 'epg-from-gz.xml'));
    expect(gunzip(gz.body)).toBe(xml.text);

    // Every lineup entry's channel is in the guide under the playlist's tvg-id (else ace.<GuideNumber>),
    // with the GuideNumber among its display names (what Plex and Jellyfin match).
    const lineup = (await (await fetch(`${stack.gateway.url}/lineup.json`)).json()) as Array<{
      GuideNumber: string;
      GuideName: string;
    }>;
    const channels = [...xml.text.matchAll(/<channel id="([^"]+)">(.*?)<\/channel>/g)].map(([, id, body]) => ({
      id,
      names: [...body!.matchAll(/<display-name>([^<]*)<\/display-name>/g)].map((m) => m[1]),
    }));
    const { body: listed } = await getJson<{ channels: Array<{ id: string; tvg_id: string | null; name: string }> }>(
      `${stack.gateway.url}/playlist.json`,
    );
    const numberOf = (name: string) => lineup.find((e) => e.GuideName === name)!.GuideNumber;
    expect(numberOf('Movies')).toBe('20');
    expect(channels).toEqual([
      { id: 'sport.hd', names: ['Sport HD', numberOf('Sport HD')] },
      { id: 'movies.tv', names: ['Movies', '20'] },
      { id: `ace.${numberOf('News 24')}`, names: ['News 24', numberOf('News 24')] },
    ]);
    expect(listed.channels.flatMap((c) => (c.tvg_id ? [c.tvg_id] : []))).toEqual(['sport.hd', 'movies.tv']);
    expect(xml.text).toContain(`channel="ace.${numberOf('News 24')}"><title>Headlines</title>`);
    expect(xml.text).not.toContain('other.tv');
  });

  it('answers 304 to a client holding this guide; gzip as one member, which libcurl (Kodi) unpacks whole', async () => {
    const plain = await rawGet(`${stack.gateway.url}/epg.xml`, { 'accept-encoding': 'gzip, deflate' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const again = await rawGet(`${stack.gateway.url}/epg.xml`, { 'if-none-match': String(plain.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // libcurl's gzip decoding stops at the end of the first member: all of the guide must be in it.
    // A gzip file ends with its last member's unpacked size (RFC 1952): here, the whole guide's.
    const gz = await rawGet(`${stack.gateway.url}/epg.xml.gz`);
    expect(gz.body.readUInt32LE(gz.body.length - 4)).toBe(plain.body.length);
  });

  it("points /playlist.m3u's header at the proxy's own /epg.xml", async () => {
    const text = await (await fetch(`${stack.gateway.url}/playlist.m3u`)).text();
    const guideUrl = `${stack.gateway.url}/epg.xml`;
    expect(text.split('\n')[0]).toBe(`#EXTM3U url-tvg="${guideUrl}" x-tvg-url="${guideUrl}" tvg-shift="0"`);
    // A channel without a tvg-id gets its id in the guide, for players that match by id (Kodi).
    const lineup = (await (await fetch(`${stack.gateway.url}/lineup.json`)).json()) as Array<{
      GuideNumber: string;
      GuideName: string;
    }>;
    const news = lineup.find((e) => e.GuideName === 'News 24')!.GuideNumber;
    expect(text).toContain(`#EXTINF:-1 tvg-id="ace.${news}",News 24\n`);
    expect(text).toContain(`#EXTINF:-1 tvg-id="sport.hd" tvg-logo="${host.url}/sport.png",Sport HD\n`);
    // Forwarded headers count only with TRUST_PROXY (off here), as for the entries.
    const forwarded = await (
      await fetch(`${stack.gateway.url}/playlist.m3u`, { headers: { 'x-forwarded-host': 'evil.example' } })
    ).text();
    expect(forwarded).not.toContain('evil.example');
  });

  it('names the failing guide source in /health, which stays 200 (a source is no reason to drop a host)', async () => {
    const { status, body } = await getJson<{ guide: { ok: boolean; sources: Array<Record<string, unknown>> } }>(
      `${stack.gateway.url}/health`,
    );
    expect(status).toBe(200);
    expect(body.guide.ok).toBe(false);
    expect(body.guide.sources).toEqual([
      expect.objectContaining({ source: join(dir, 'file.xml.gz'), ok: true, channels: 2 }),
      expect.objectContaining({ source: `${host.url}/broken.xml`, ok: false, error: 'HTTP 500 Internal Server Error' }),
      expect.objectContaining({ source: `${host.url}/web.xml`, ok: true, channels: 1 }),
    ]);
  });

  it('names the channel a player watches on the status page: name, logo, number and what is on now', async () => {
    const player = await capture(`${stack.gateway.url}/ace/getstream?id=${A}`);
    const profile = tempDir('guide-e2e-chromium');
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const snapshot = await snapshotWhere(stack.gateway.url, (s) => s.streams.some((x) => x.id === A && x.client_count === 1));
      const stream = snapshot.streams.find((x) => x.id === A) as unknown as { channel: { guide_number: string } };
      expect(stream.channel).toEqual({
        name: 'Sport HD',
        logo: `${host.url}/sport.png`,
        guide_number: expect.stringMatching(/^\d+$/),
        now: { title: 'The Match', start: expect.any(Number), stop: expect.any(Number) },
      });
      // The page shows them (the logo loads under the page's CSP).
      const page = await browser.newPage();
      await page.goto(stack.gateway.url);
      const cell = page.locator(`tbody[data-stream-id="${A}"] td.id`);
      await cell.locator('.now').waitFor({ timeout: 5000 });
      expect(await cell.locator('.name').textContent()).toBe(`${stream.channel.guide_number} Sport HD`);
      expect(await cell.locator('.now').textContent()).toMatch(/^now: The Match \(until \d\d:\d\d:\d\d\)$/);
      await page.waitForFunction((id) => {
        const logo = document.querySelector<HTMLImageElement>(`tbody[data-stream-id="${id}"] img.logo`);
        return logo?.complete && logo.naturalWidth === 1;
      }, A);
    } finally {
      player.close();
      await browser.close();
    }
  });
});

describe('the guide before its first refresh (embedded mode)', () => {
  it('answers 503 with the reason, in JSON', async () => {
    const dir = tempDir('guide-e2e-slow');
    const host = await startGuideHost();
    writeFileSync(join(dir, 'list.m3u'), `#EXTM3U\n#EXTINF:-1,One\nacestream://${A}\n`);
    const stack = await startStack({
      label: 'guide-slow',
      redis: 'none',
      env: { PLAYLIST_SOURCES: join(dir, 'list.m3u'), EPG_SOURCES: `${host.url}/slow.xml` },
    });
    try {
      const res = await fetch(`${stack.gateway.url}/epg.xml`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: 'guide_unavailable',
        message: 'no guide is stored yet: the first refresh of its sources is under way; see /health',
      });
    } finally {
      // The held source fails first, so the refresh ends and the gateway stops at once.
      await host.close();
      await stack.stop();
    }
  });
});

/** A series of gzip members is one gzip file (RFC 1952): gunzipSync reads them all. */
function gunzip(body: Buffer): string {
  return gunzipSync(body).toString();
}
