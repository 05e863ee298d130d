// AUTH=token's door: which paths are player routes, and the per-worker user cache it reads.

import { parse } from 'node:url';
import { hashToken, MemoryUserStore, Users } from '@acestream-proxy/accounts';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CachedUserStore } from '../src/accounts/cached-users.js';
import { isPlayerPath, routedTarget } from '../src/http/player-routes.js';

describe('player routes', () => {
  it.each([
    '/ace/getstream',
    '/ace/getstream/',
    '/ace/manifest.m3u8',
    '/ace/hls/x/y/index.m3u8',
    '/playlist.m3u',
    '/playlist.json',
    '/epg.xml',
    '/epg.xml.gz',
    '/discover.json',
    '/lineup.json',
    '/lineup_status.json',
    '/lineup.post',
    '/device.xml',
    '/auto/v12',
    // The router ignores case, so the door does too.
    '/ACE/GetStream',
    '/Playlist.M3U',
    '/AUTO/v1',
    '/Ace/Hls/x/y/1.ts',
  ])('%s needs a token', (path) => {
    expect(isPlayerPath(path)).toBe(true);
  });

  it.each([
    '/',
    '/health',
    '/metrics',
    '/proxy/streams',
    '/proxy/users',
    '/proxy/events',
    '/playlist/rewrite',
    '/ace/getstreamx',
    '/auto',
  ])('%s is no player route', (path) => {
    expect(isPlayerPath(path)).toBe(false);
  });
});

describe('the per-worker user cache', () => {
  it('answers a known token from memory until the users change, then reads again', async () => {
    const backing = new MemoryUserStore();
    const users = new Users(backing);
    const { token } = await users.create({ name: 'alice' });
    const cached = new CachedUserStore(backing);
    await cached.version();
    expect((await cached.byTokenHash(hashToken(token)))?.name).toBe('alice');
    // Another worker rotates the token: this one still answers from memory until its next version look.
    const rotated = await users.rotate('alice');
    expect((await cached.byTokenHash(hashToken(token)))?.name).toBe('alice');
    await cached.version();
    expect(await cached.byTokenHash(hashToken(token))).toBeNull();
    expect((await cached.byTokenHash(hashToken(rotated.token)))?.name).toBe('alice');
  });

  it('reads every target as the router does (its fast path for plain paths included)', () => {
    const asRouter = (url: string) => {
      try {
        const { pathname, search } = parse(url);
        return pathname === null ? null : pathname + (search ?? '');
      } catch {
        return null;
      }
    };
    const chars = fc.constantFrom(...'aZ09-._~!$&()*+,;=:@/?%#\\\' "<>{}|^` \t'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), fc.boolean(), (parts, slash) => {
        const url = (slash ? '/' : '') + parts.join('');
        expect(routedTarget(url)).toBe(asRouter(url));
      }),
      { numRuns: 20_000 },
    );
    expect(routedTarget('/u/abc/ace/getstream?id=1')).toBe('/u/abc/ace/getstream?id=1');
    expect(routedTarget('/ace\\getstream')).toBe('/ace/getstream');
  });

  it('asks the store once for a token that many requests show at once', async () => {
    const backing = new MemoryUserStore();
    const { token } = await new Users(backing).create({ name: 'alice' });
    let lookups = 0;
    const counting = Object.assign(Object.create(backing) as MemoryUserStore, {
      byTokenHash(hash: string) {
        lookups++;
        return backing.byTokenHash(hash);
      },
    });
    const cached = new CachedUserStore(counting);
    await cached.version();
    const found = await Promise.all(Array.from({ length: 50 }, () => cached.byTokenHash(hashToken(token))));
    expect(found.every((u) => u?.name === 'alice')).toBe(true);
    expect(lookups).toBe(1);
    // An unknown token is not cached: asked again next time, once per burst.
    await Promise.all([cached.byTokenHash('f'.repeat(64)), cached.byTokenHash('f'.repeat(64))]);
    await cached.byTokenHash('f'.repeat(64));
    expect(lookups).toBe(3);
  });
});
