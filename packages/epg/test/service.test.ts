// GuideService over real sockets and files: EPG_SOURCES and the playlist's url-tvg, plain and gzip,
// merged into one valid guide; a failing source keeps its last good copy and is named in /health.

import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GuideService, type GuideServiceOptions, type GuideStore, MemoryGuideStore, RedisGuideStore } from '@acestream-proxy/epg';
import { parsePlaylist } from '@acestream-proxy/playlist';
import { backendSuite, tempDir, validateXmltv, waitFor, writeXmltvGuide } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, expect, it } from '@jest/globals';

const dir = tempDir('epg-service');
const ids = Array.from({ length: 8 }, (_, n) => `${n.toString(16).padStart(2, '0')}`.repeat(20));
const quiet = { warn: () => {}, info: () => {} };
const limits = { timeoutMs: 5000, maxBytes: 1024 * 1024, maxRedirects: 2, maxXmlBytes: 4 * 1024 * 1024 };

let server: http.Server;
let base: string;
/** Paths the server answers 500 to. */
const failing = new Set<string>();
const hits = new Map<string, number>();
/** Answers to /slow.xml: a channel, then nothing until the test ends them. */
const slow = new Set<http.ServerResponse>();

beforeAll(async () => {
  // Three guides overlapping as real ones do: each adds channels the one before lacks.
  await writeXmltvGuide(join(dir, 'a.xml'), 3, 20_000);
  await writeXmltvGuide(join(dir, 'b.xml.gz'), 6, 40_000);
  await writeXmltvGuide(join(dir, 'file.xml'), 8, 40_000);
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (failing.has(path)) return res.writeHead(500).end();
    if (path === '/slow.xml') {
      slow.add(res);
      res
        .writeHead(200)
        .write('<?xml version="1.0"?>\n<tv><channel id="src.0"><display-name>Channel 0</display-name></channel>\n');
      return;
    }
    if (path !== '/a.xml' && path !== '/b.xml.gz') return res.writeHead(404).end();
    createReadStream(join(dir, path)).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The playlist: channels src.0–6 by tvg-id, the eighth by name only; its header names b.xml.gz. */
function playlist() {
  const lines = [`#EXTM3U url-tvg="${base}/b.xml.gz"`];
  for (let n = 0; n < 7; n++) lines.push(`#EXTINF:-1 tvg-id="src.${n}",Channel ${n}`, `acestream://${ids[n]}`);
  lines.push('#EXTINF:-1,Channel 7', `acestream://${ids[7]}`);
  return { playlist: parsePlaylist(lines.join('\n')), version: 1 };
}

function service(store: GuideStore, sources: string[], refreshIntervalMs = 3_600_000, more: Partial<GuideServiceOptions> = {}) {
  return new GuideService({
    sources,
    fromPlaylists: true,
    playlist: async () => playlist(),
    guideNumbers: async () => new Map(ids.map((id, n) => [id, String(n + 1)])),
    refreshIntervalMs,
    store,
    logger: quiet,
    limits,
    ...more,
  });
}

async function guideText(guides: GuideService, gzip: boolean): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await guides.writeGuide(out, { gzip });
  return Buffer.concat(chunks);
}

backendSuite(
  'GuideService',
  (backend) => {
    let store: GuideStore;
    beforeAll(async () => {
      store =
        backend.kind === 'memory'
          ? new MemoryGuideStore()
          : new RedisGuideStore({ reads: await backend.connect('request'), writes: await backend.connect(), keys: backend.keys });
    });

    it("merges a file, a plain URL and the playlist's gzip url-tvg into one guide tv_validate_file accepts", async () => {
      const guides = service(store, [join(dir, 'file.xml'), `${base}/a.xml`]);
      await expect(guides.writeGuide(new PassThrough(), { gzip: false })).rejects.toThrow(/no guide is stored yet/);
      await guides.refreshIfDue();
      const health = await guides.health();
      expect(health.ok).toBe(true);
      expect(health.sources.map((s) => [s.source, s.channels])).toEqual([
        [join(dir, 'file.xml'), 8],
        [`${base}/a.xml`, 3],
        [`${base}/b.xml.gz`, 6],
      ]);
      const xml = await guideText(guides, false);
      const file = join(dir, `guide-${backend.kind}.xml`);
      await writeFile(file, xml);
      await validateXmltv(file);
      const text = xml.toString();
      // Each channel once, under the playlist's tvg-id, or ace.<GuideNumber> when it has none.
      expect(text.match(/<channel id="[^"]*"/g)).toEqual([
        ...[0, 1, 2, 3, 4, 5, 6].map((n) => `<channel id="src.${n}"`),
        '<channel id="ace.8"',
      ]);
      expect(text).toContain('<programme start="20300101000000 +0000" stop="20300101003000 +0000" channel="ace.8">');
      expect(text).not.toContain('channel="src.7"');
      expect(gunzipSync(await guideText(guides, true)).equals(xml)).toBe(true);
    });

    it('keeps the last good copy of a failing source, names it in /health, and hides credentials', async () => {
      const secret = `http://tv:hunter2@127.0.0.1:${new URL(base).port}/gone.xml?token=abc`;
      const guides = service(store, [join(dir, 'file.xml'), `${base}/a.xml`, secret], 1);
      failing.add('/b.xml.gz');
      try {
        const before = (await guides.health()).sources[2]!;
        await guides.refreshIfDue();
        const health = await guides.health();
        expect(health.ok).toBe(false);
        const [, , gone, b] = health.sources;
        expect(b).toEqual({ ...before, source: `${base}/b.xml.gz`, ok: false, error: 'HTTP 500 Internal Server Error' });
        expect(gone).toMatchObject({ source: `${base}/gone.xml?…`, ok: false, error: 'HTTP 404 Not Found', loaded_at: null });
        expect(JSON.stringify(health)).not.toMatch(/hunter2|abc/);
        // src.3–5 come only from b.xml.gz: still there, from its last good copy.
        const xml = (await guideText(guides, false)).toString();
        expect(xml).toContain('<channel id="src.5">');
        expect(xml).toMatch(/<programme [^>]*channel="src\.5">/);
      } finally {
        failing.delete('/b.xml.gz');
      }
      await guides.refreshIfDue();
      expect((await guides.health()).sources[3]).toMatchObject({ ok: true, error: null });
      if (store instanceof MemoryGuideStore) {
        // Parts in use, and those of the guide before (a player may still read it); nothing older.
        const meta = (await store.readMeta())!;
        const kept = [meta.parts.channels.id, ...meta.parts.programmes.map((p) => p.id), ...meta.retired];
        expect(store.partIds.sort()).toEqual(kept.sort());
      }
    });

    it('says what each channel shows now, from the first source that has it', async () => {
      const at = Date.now();
      const time = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)} +0000`;
      const hour = 3_600_000;
      const file = join(dir, `now-${backend.kind}.xml`);
      await writeFile(
        file,
        `<?xml version="1.0" encoding="UTF-8"?>\n<tv><channel id="x1"><display-name>Channel 1</display-name></channel>
<channel id="x7"><display-name>Channel 7</display-name></channel>
<programme start="${time(at - hour)}" stop="${time(at + hour)}" channel="x1"><title>Morning &amp; News</title></programme>
<programme start="${time(at + hour)}" stop="${time(at + 2 * hour)}" channel="x1"><title>Later</title></programme>
<programme start="${time(at - 2 * hour)}" channel="x7"><title>Open ended</title></programme>
<programme start="${time(at + 30 * hour)}" channel="x7"><title>Too far</title></programme>
</tv>\n`,
      );
      const guides = service(store, [file], 1);
      await guides.refreshIfDue();
      const now = await guides.nowOn(['src.1', 'ace.8', 'src.2']);
      expect(now.get('src.1')).toEqual({
        title: 'Morning & News',
        start: at - hour - (at % 1000),
        stop: at + hour - (at % 1000),
      });
      // No stop: it runs until the next start (none within the day: it has ended).
      expect(now.has('ace.8')).toBe(false);
      expect(now.has('src.2')).toBe(false);
    });

    it('lets one worker of the cluster refresh at a time', async () => {
      const before = hits.get('/a.xml') ?? 0;
      const workers = [0, 1, 2].map(() => service(store, [`${base}/a.xml`], 1));
      await Promise.all(workers.map((w) => w.refreshIfDue()));
      expect(hits.get('/a.xml')).toBe(before + 1);
    });
  },
  { only: ['memory', 'redis'] },
);

backendSuite(
  'GuideService lock',
  (backend) => {
    it('a refresh whose lock renewals fail logs them and switches nothing in once the lock has lapsed by its own clock', async () => {
      const writes = await backend.connect();
      const store = new RedisGuideStore({ reads: await backend.connect('request'), writes, keys: backend.keys });
      const warnings: string[] = [];
      const logger = { info: () => {}, warn: (message: string) => void warnings.push(message) };
      const guides = service(store, [`${base}/slow.xml`], 3_600_000, { logger, lockTtlMs: 900 });
      const refreshing = guides.refreshIfDue();
      refreshing.catch(() => {});
      const lock = backend.keys.epgRefreshLock();
      await waitFor(async () => slow.size > 0 && (await writes.exists(lock)) === 1, { what: 'the refresh reading its source' });
      // The lock key turned into a hash: every renewal Redis is sent now fails (WRONGTYPE).
      await writes.multi().del(lock).hset(lock, 'not', 'a lock').exec();
      try {
        await waitFor(() => warnings.includes('guide refresh lock renewal failed'), { what: 'the failed renewal logged' });
        await expect(refreshing).rejects.toThrow(/lock was lost \(not renewed in time\)/);
        expect(await store.readMeta()).toBeNull();
      } finally {
        for (const res of slow) res.end('</tv>\n');
        slow.clear();
        await refreshing.catch(() => {});
        await writes.del(lock);
      }
      expect(await backend.leftovers()).toEqual([]);
    });
  },
  { only: ['redis'] },
);
