// AUTH=token's door: which paths are player routes, and the per-worker user cache it reads.

import { hashToken, MemoryUserStore, Users } from '@acestream-proxy/accounts';
import { describe, expect, it } from '@jest/globals';
import { CachedUserStore } from '../src/accounts/cached-users.js';
import { isPlayerPath } from '../src/http/player-routes.js';

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
});
