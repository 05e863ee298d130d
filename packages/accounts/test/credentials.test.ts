// Where the token travels (path prefix, Basic) and what a route sees: examples, then fast-check properties.

import {
  Authenticator,
  extractCredential,
  hashToken,
  MemoryUserStore,
  newToken,
  UnauthorizedError,
} from '@acestream-proxy/accounts';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

const TOKEN = newToken();
const basic = (userPass: string) => ({ authorization: `Basic ${Buffer.from(userPass).toString('base64')}` });

describe('extractCredential', () => {
  it('takes the token from a /u/<token>/ prefix and gives the route the rest, query and all', () => {
    expect(extractCredential({ url: `/u/${TOKEN}/ace/getstream?id=abc`, headers: {} })).toEqual({
      ok: true,
      credential: { token: TOKEN, name: null, via: 'path' },
      url: '/ace/getstream?id=abc',
    });
    // An HLS player resolves `hls/<id>/<session>/5.ts` against the playlist's path: the token stays.
    const manifest = `http://proxy/u/${TOKEN}/ace/manifest.m3u8?id=abc`;
    const segment = new URL('hls/abc/s1/5.ts', manifest);
    expect(extractCredential({ url: segment.pathname, headers: {} })).toMatchObject({ ok: true, url: '/ace/hls/abc/s1/5.ts' });
  });

  it('takes Basic credentials (name and token, or the token alone as the name)', () => {
    expect(extractCredential({ url: '/playlist.m3u', headers: basic(`alice:${TOKEN}`) })).toEqual({
      ok: true,
      credential: { token: TOKEN, name: 'alice', via: 'basic' },
      url: '/playlist.m3u',
    });
    expect(extractCredential({ url: '/x', headers: basic(`${TOKEN}:`) })).toMatchObject({
      credential: { token: TOKEN, name: null },
    });
    expect(extractCredential({ url: '/x', headers: { authorization: 'Bearer abc' } })).toMatchObject({
      ok: true,
      credential: null,
    });
  });

  it.each([
    [`/u/short/ace/getstream`, 'malformed_token'],
    [`/u/${TOKEN}x/ace/getstream`, 'malformed_token'],
    [`/u/${TOKEN}/../proxy/streams`, 'bad_path'],
    [`/u/${TOKEN}/ace/%2e%2E/proxy/streams`, 'bad_path'],
    [`/u/${TOKEN}/ace%2fgetstream`, 'bad_path'],
    [`/u/${TOKEN}//evil.example/x`, 'bad_path'],
    [`/u/${TOKEN}/ace\\..\\proxy`, 'bad_path'],
    [`/u/${TOKEN}/%E0%A4%A`, 'bad_path'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(extractCredential({ url, headers: {} })).toEqual({ ok: false, reason });
  });
});

/** Request targets built from the characters that matter to paths, tokens and escapes. */
const pathy = fc.stringMatching(/^[/a-zA-Z0-9._~%\\?=&:@ -]{0,60}$/);
const targets = fc.oneof(
  fc.string(),
  pathy,
  pathy.map((rest) => `/u/${TOKEN}${rest}`),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{0,50}$/), pathy).map(([token, rest]) => `/u/${token}/${rest}`),
);
const headers = fc.oneof(
  fc.constant({}),
  fc.record({
    authorization: fc.oneof(
      fc.string(),
      fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
    ),
  }),
  fc.tuple(fc.string(), fc.constantFrom(TOKEN, '', newToken())).map(([name, t]) => basic(`${name}:${t}`)),
);

describe('extractCredential properties', () => {
  it('never throws, and after a prefix returns only the literal rest of the path, which no URL parser would move', () => {
    fc.assert(
      fc.property(fc.option(targets, { nil: undefined }), headers, (url, hdrs) => {
        const found = extractCredential({ url, headers: hdrs });
        if (!found.ok || found.credential?.via !== 'path') return;
        const path = found.url.split('?')[0]!;
        expect(path.startsWith('/')).toBe(true);
        // The literal rest of the target after `/u/<token>` (`/` when the path ends with the token).
        const after = url!.slice(`/u/${found.credential.token}`.length);
        expect(found.url).toBe(after.startsWith('/') ? after : `/${after}`);
        // Resolution leaves it as it is: no dot segment, no host, no hidden slash climbs out.
        expect(new URL(path, 'http://proxy.invalid').pathname).toBe(path);
        expect(new URL(found.url, 'http://proxy.invalid').host).toBe('proxy.invalid');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Authenticator properties', () => {
  it("never accepts a token that is not a user's, and accepts the user's own wherever it is put", async () => {
    const store = new MemoryUserStore();
    const limits = { channels: 0, connections: 0, policy: 'refuse' as const };
    await store.put(
      {
        name: 'alice',
        tokenHash: hashToken(TOKEN),
        enabled: true,
        expiresAt: null,
        limits,
        groups: [],
        createdAt: 0,
        source: 'api',
      },
      null,
    );
    const auth = new Authenticator(store);
    await fc.assert(
      fc.asyncProperty(fc.option(targets, { nil: undefined }), headers, async (url, hdrs) => {
        const found = extractCredential({ url, headers: hdrs });
        const result = await auth.authenticate({ url, headers: hdrs }).then(
          (ok) => ok,
          (err: unknown) => {
            // Only ever the 401 error: nothing a mapper would turn into a 5xx.
            expect(err).toBeInstanceOf(UnauthorizedError);
            return null;
          },
        );
        const carriesToken = found.ok && found.credential?.token === TOKEN && (found.credential.name ?? 'alice') === 'alice';
        expect(result !== null).toBe(carriesToken);
        if (result) expect(result.user.name).toBe('alice');
      }),
      { numRuns: 2000 },
    );
    for (const url of [`/u/${TOKEN}/playlist.m3u`])
      expect((await auth.authenticate({ url, headers: {} })).url).toBe('/playlist.m3u');
    await expect(auth.authenticate({ url: '/playlist.m3u', headers: basic(`bob:${TOKEN}`) })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(auth.authenticate({ url: `/u/${newToken()}/playlist.m3u`, headers: {} })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });
});
