// Loading sources over real sockets and files: deadline, size cap, bounded redirects, clear errors.

import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeSource, loadSource, SourceError, type SourceLimits } from '../src/index.js';

const LIMITS: SourceLimits = { timeoutMs: 2000, maxBytes: 64 * 1024, maxRedirects: 2 };
const PLAYLIST = '#EXTM3U\n#EXTINF:-1,One\nacestream://0123456789abcdef0123456789abcdef01234567\n';

describe('loading a playlist source', () => {
  let server: http.Server;
  let base: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (path === '/list.m3u') return res.end(PLAYLIST);
      if (path === '/private.m3u') {
        const expected = `Basic ${Buffer.from('tv user:pa:ss').toString('base64')}`;
        return req.headers.authorization === expected ? res.end(PLAYLIST) : res.writeHead(401).end();
      }
      if (path === '/missing.m3u') return res.writeHead(404).end('not here');
      if (path === '/hop1') return res.writeHead(302, { location: '/hop2' }).end();
      if (path === '/hop2') return res.writeHead(301, { location: '/list.m3u' }).end();
      if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (path === '/stall') return res.write('#EXTM3U\n'); // never ends
      if (path === '/big-declared') return res.writeHead(200, { 'content-length': 1_000_000 }).end('x'.repeat(1_000_000));
      if (path === '/big-chunked') {
        for (let i = 0; i < 100; i++)
          res.write('#EXTINF:-1,padding padding padding padding padding padding\nhttp://x/y\n'.repeat(20));
        return res.end();
      }
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads an http URL', async () => {
    expect(await loadSource(`${base}/list.m3u`, LIMITS)).toBe(PLAYLIST);
  });

  it('sends the credentials of a user:password@ URL as Basic authorization', async () => {
    const url = new URL(`${base}/private.m3u`);
    url.username = 'tv%20user';
    url.password = 'pa%3Ass';
    expect(await loadSource(url.href, LIMITS)).toBe(PLAYLIST);
    await expect(loadSource(`${base}/private.m3u`, LIMITS)).rejects.toThrow('HTTP 401');
  });

  it('follows redirects up to the limit', async () => {
    expect(await loadSource(`${base}/hop1`, LIMITS)).toBe(PLAYLIST);
  });

  it('stops after maxRedirects and says so', async () => {
    hits.delete('/loop');
    await expect(loadSource(`${base}/loop`, LIMITS)).rejects.toThrow(`${base}/loop: more than 2 redirects`);
    expect(hits.get('/loop')).toBe(3);
  });

  it('names the HTTP status of a refusal', async () => {
    await expect(loadSource(`${base}/missing.m3u`, LIMITS)).rejects.toThrow(/missing\.m3u: HTTP 404 Not Found$/);
  });

  it('gives up at the deadline when the body never ends', async () => {
    const started = Date.now();
    const load = loadSource(`${base}/stall`, { ...LIMITS, timeoutMs: 300 });
    await expect(load).rejects.toThrow('no complete answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each(['/big-declared', '/big-chunked'])('refuses a body past the size cap (%s)', async (path) => {
    await expect(loadSource(`${base}${path}`, LIMITS)).rejects.toThrow(`larger than ${LIMITS.maxBytes} bytes`);
  });

  it('never shows credentials or the query string of a source URL', async () => {
    const secret = 'http://user:s3cret@127.0.0.1:1/get.php?username=u&password=s3cret&type=m3u';
    expect(describeSource(secret)).toBe('http://127.0.0.1:1/get.php?…');
    const error = await loadSource(secret, LIMITS).catch((err: Error) => err);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe('http://127.0.0.1:1/get.php?…: connection refused (ECONNREFUSED)');
  });

  it('reads files (paths and file:// URLs), with the same cap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'playlist-source-'));
    writeFileSync(join(dir, 'a.m3u'), PLAYLIST);
    writeFileSync(join(dir, 'big.m3u'), 'x'.repeat(LIMITS.maxBytes + 1));
    expect(await loadSource(join(dir, 'a.m3u'), LIMITS)).toBe(PLAYLIST);
    expect(await loadSource(`file://${join(dir, 'a.m3u')}`, LIMITS)).toBe(PLAYLIST);
    await expect(loadSource(join(dir, 'big.m3u'), LIMITS)).rejects.toThrow('larger than');
    await expect(loadSource(join(dir, 'none.m3u'), LIMITS)).rejects.toThrow(`${join(dir, 'none.m3u')}: no such file`);
  });
});
