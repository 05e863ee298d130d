// The guide knobs (issue 22): sources, the playlists' own guides, refresh, size cap, deadline.

import { ConfigError, loadConfig } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: '/nonexistent/.env' }).config;

describe('guide configuration', () => {
  it("defaults to the playlists' guides only, twice a day, 1 GiB a source, 10 minutes each", () => {
    const config = load({});
    expect(config.epgSources).toBeNull();
    expect(config.epgFromPlaylists).toBe(true);
    expect(config.epgRefreshHours).toBe(12);
    expect(config.epgMaxBytes).toBe(1024 * 1024 * 1024);
    expect(config.epgTimeout).toBe(600);
  });

  it('reads URLs and files, and the switch for the playlists’ guides', () => {
    const config = load({ EPG_SOURCES: 'https://epg.example/guide.xml.gz, /srv/tv/guide.xml', EPG_FROM_PLAYLISTS: 'no' });
    expect(config.epgSources).toEqual(['https://epg.example/guide.xml.gz', '/srv/tv/guide.xml']);
    expect(config.epgFromPlaylists).toBe(false);
  });

  it.each([
    ['EPG_SOURCES', 'ftp://epg.example/guide.xml', /"ftp:\/\/epg.example\/guide.xml" is neither/],
    ['EPG_REFRESH_HOURS', '0', /number of hours of at least 0.001/],
    ['EPG_MAX_BYTES', '1000', /whole number of bytes from 1048576/],
    ['EPG_TIMEOUT', '0', /whole number of seconds from 1 to 86400/],
    ['EPG_FROM_PLAYLISTS', 'maybe', /true or false/],
  ])('refuses %s=%s naming the variable, the value and what is allowed', (variable, value, allowed) => {
    let error: unknown;
    try {
      load({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect((error as ConfigError).message).toMatch(allowed);
  });
});
