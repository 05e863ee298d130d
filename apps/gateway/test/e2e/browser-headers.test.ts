// Issue 20, item 11: the status page and API answer with browser security headers (helmet: CSP
// without inline script, no framing, nosniff, no referrer), and with ALLOWED_HOSTS set the
// operator routes refuse other Host headers (DNS rebinding) while player routes answer any.

import http from 'node:http';
import { type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/** GET with a Host header of our choice (fetch does not let a caller set one). */
function get(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        // The event stream never ends: its first bytes are enough.
        if (path === '/proxy/events') res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('browser security headers and ALLOWED_HOSTS', () => {
  let stack: Stack;
  let port: number;

  beforeAll(async () => {
    stack = await startStack({ redis: 'none', env: { ALLOWED_HOSTS: 'proxy.lan,127.0.0.1' } });
    port = stack.gateway.port;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('sends CSP without inline script, no framing, nosniff and no referrer with the status page', async () => {
    const page = await get(port, '/', `proxy.lan:${port}`);
    expect(page.status).toBe(200);
    const csp = Object.fromEntries(
      String(page.headers['content-security-policy'])
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values.join(' ')]),
    );
    expect(csp['script-src']).toBe("'self'");
    expect(csp['frame-ancestors']).toBe("'none'");
    expect(csp['default-src']).toBe("'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
    // The page loads only files of its own.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect((await get(port, '/proxy/streams', `proxy.lan:${port}`)).headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 403 JSON on the page, the feed and /proxy/* for a Host not listed, and serves players on any Host', async () => {
    for (const path of ['/', '/status.js', '/proxy/streams', '/proxy/events']) {
      const res = await get(port, path, `rebound.attacker.example:${port}`);
      expect([path, res.status]).toEqual([path, 403]);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'host_not_allowed' });
    }
    expect((await get(port, '/proxy/streams', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await get(port, '/proxy/events', `PROXY.lan:${port}`)).status).toBe(200);
    // Players, scrapers and health checks reach the proxy by any name.
    expect((await get(port, '/health', `rebound.attacker.example:${port}`)).status).toBe(200);
    expect((await get(port, '/metrics', 'anything')).status).toBe(200);
    const manifest = await get(port, `/ace/manifest.m3u8?id=${'0'.repeat(39)}`, 'tv.example');
    expect(manifest.status).toBe(400);
    expect(manifest.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it("gives an HLS session's files, served before Express, the headers Express gives player routes", async () => {
    // Helmet's headers are the ones both share; the rest (type, length, date) are each answer's own.
    const helmetHeaders = (headers: http.IncomingHttpHeaders) =>
      Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name),
        ),
      );
    const viaApp = await get(port, `/ace/manifest.m3u8?id=${'0'.repeat(39)}`, 'tv.example');
    const id = '0'.repeat(40);
    // A made-up session: 400 from the fast path; the same file with an escaped byte goes through Express.
    const fast = await get(port, `/ace/hls/${id}/made-up/index.m3u8`, 'tv.example');
    const escaped = await get(port, `/ace/hls/${id}/made%2Dup/index.m3u8`, 'tv.example');
    for (const res of [fast, escaped]) {
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_hls_request' });
      expect(helmetHeaders(res.headers)).toEqual(helmetHeaders(viaApp.headers));
    }
    expect(Object.keys(helmetHeaders(fast.headers)).length).toBeGreaterThanOrEqual(10);
  });
});
