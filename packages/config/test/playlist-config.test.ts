// The playlist knobs (issue 13): sources, refresh, size cap, public URL, trusting forwarded headers.

import { ConfigError, loadConfig } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: '/nonexistent/.env' }).config;

describe('playlist configuration', () => {
  it('defaults to no sources, hourly refresh, 10 MiB, base URL from the request, forwarded headers ignored', () => {
    const config = load({});
    expect(config.playlistSources).toBeNull();
    expect(config.playlistRefreshMinutes).toBe(60);
    expect(config.playlistMaxBytes).toBe(10 * 1024 * 1024);
    expect(config.playlistRewriteMaxBytes).toBe(1024 * 1024);
    expect(config.publicUrl).toBeNull();
    expect(config.trustProxy).toBe(false);
  });

  it('reads URLs and file paths, a public URL without trailing slash, and yes/no switches', () => {
    const config = load({
      PLAYLIST_SOURCES: 'https://lists.example/a.m3u?x=1, /srv/tv/b.m3u ,file:///srv/c.m3u,relative.m3u',
      PLAYLIST_REFRESH_MINUTES: '0.5',
      PUBLIC_URL: 'https://tv.example.com/ace/',
      TRUST_PROXY: 'yes',
    });
    expect(config.playlistSources).toEqual([
      'https://lists.example/a.m3u?x=1',
      '/srv/tv/b.m3u',
      'file:///srv/c.m3u',
      'relative.m3u',
    ]);
    expect(config.playlistRefreshMinutes).toBe(0.5);
    expect(config.publicUrl).toBe('https://tv.example.com/ace');
    expect(config.trustProxy).toBe(true);
  });

  it.each([
    ['PLAYLIST_SOURCES', 'ftp://lists.example/a.m3u', /http\(s\) URLs or file paths.*"ftp:\/\/lists.example\/a.m3u" is neither/],
    ['PLAYLIST_SOURCES', ' , ', /at least one/],
    ['PLAYLIST_REFRESH_MINUTES', '0', /number of minutes of at least 0.01/],
    ['PLAYLIST_MAX_BYTES', '10', /from 1024/],
    ['PLAYLIST_REWRITE_MAX_BYTES', '1k', /whole number of bytes from 1024/],
    ['PUBLIC_URL', 'tv.example.com', /http\(s\) URL/],
    ['PUBLIC_URL', 'https://tv.example.com/?a=1', /without query/],
    ['TRUST_PROXY', 'maybe', /true or false/],
  ])('rejects %s=%j naming the variable, the value and the rule', (variable, value, rule) => {
    const error = (() => {
      try {
        load({ [variable]: value });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect((error as ConfigError).message).toMatch(rule);
  });
});
