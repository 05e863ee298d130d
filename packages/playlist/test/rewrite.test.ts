// Parsing and rewriting realistic lists: every AceStream entry points at the proxy, nothing else moves.

import { describe, expect, it } from '@jest/globals';
import {
  listChannels,
  listGroups,
  mergePlaylists,
  PlaylistParseError,
  parseExtinf,
  parsePlaylist,
  renderPlaylist,
  streamIdOf,
} from '../src/index.js';
import { aceId, LIST_C, listA, listB } from './lists.js';

const BASE = 'http://proxy.lan:8000';
const TS = { baseUrl: BASE, format: 'ts' as const };

/** Output split into entries: [#EXTINF, ...directives, target] blocks after the header. */
function blocks(text: string): string[][] {
  const lines = text.split('\n').slice(1, -1);
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    current.push(line);
    if (!line.startsWith('#')) {
      out.push(current);
      current = [];
    }
  }
  return out;
}

describe('a 240-entry list with BOM, CRLF, blank lines, mixed-case ids and engine URLs', () => {
  const a = listA();
  const playlist = parsePlaylist(a.text);
  const text = renderPlaylist(playlist, TS);

  it('finds every entry and the AceStream id of each, lower-cased', () => {
    expect(playlist.entries).toHaveLength(a.entries);
    expect(playlist.entries.filter((e) => e.id).map((e) => e.id)).toEqual(a.ids);
    expect(playlist.entries.filter((e) => !e.id).map((e) => e.target)).toEqual(a.passThrough);
  });

  it('keeps the header attributes, without the BOM', () => {
    expect(playlist.header).toEqual([
      ['url-tvg', 'http://epg.example.net/guide.xml.gz'],
      ['tvg-shift', '0'],
    ]);
    expect(text.startsWith('#EXTM3U url-tvg="http://epg.example.net/guide.xml.gz" tvg-shift="0"\n')).toBe(true);
  });

  it('points every AceStream entry at the proxy and passes other URLs through untouched', () => {
    const targets = blocks(text).map((b) => b.at(-1));
    const expected = playlist.entries.map((e) => (e.id ? `${BASE}/ace/getstream?id=${e.id}` : e.target));
    expect(targets).toEqual(expected);
    expect(text).not.toMatch(/acestream:\/\/|:6878\//i);
    for (const target of a.passThrough) expect(text).toContain(`\n${target}\n`);
  });

  it('keeps each #EXTINF line as it was, and #EXTVLCOPT/#KODIPROP with their entry', () => {
    const inputLines = a.text.slice(1).split('\r\n');
    const outBlocks = blocks(text);
    for (const [i, block] of outBlocks.entries()) {
      const extinf = inputLines.filter((l) => l.startsWith('#EXTINF'))[i]!;
      expect(block[0]).toBe(extinf);
      const at = inputLines.indexOf(extinf);
      const directives = inputLines.slice(at + 1).filter((l) => l !== '');
      const options = directives.slice(
        0,
        directives.findIndex((l) => !l.startsWith('#')),
      );
      expect(block.slice(1, -1)).toEqual(options);
    }
    expect(outBlocks[0]).toEqual([
      expect.stringContaining('#EXTINF:-1'),
      '#EXTVLCOPT:http-user-agent=Mozilla/5.0',
      '#EXTVLCOPT:network-caching=1000',
      '#KODIPROP:inputstream=inputstream.ffmpegdirect',
      '#KODIPROP:mimetype=video/mp2t',
      `${BASE}/ace/getstream?id=${aceId(0)}`,
    ]);
  });

  it('writes LF line ends, no blank lines, no carriage returns', () => {
    expect(text).not.toContain('\r');
    expect(text).not.toContain('\n\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('reads duration, attributes and titles in any script, commas inside quotes included', () => {
    const channels = listChannels(playlist, TS);
    expect(channels[1]).toEqual({
      id: aceId(1),
      name: 'Первый канал #1',
      group: 'Новости',
      logo: 'https://logos.example.net/1.png',
      tvg_id: 'ch1.example',
      url: `${BASE}/ace/getstream?id=${aceId(1)}`,
    });
    expect(channels[7]!.name).toBe('Telecinco, España #7');
    expect(channels[4]!.group).toBe('Movies, Series');
    expect(channels[3]!.name).toBe('beIN SPORTS 1 العربية #3');
    expect(channels[9]).toMatchObject({ id: null, url: a.passThrough[0] });
  });

  it('serves manifest URLs with format=hls', () => {
    const hls = renderPlaylist(playlist, { ...TS, format: 'hls' });
    expect(hls).toContain(`\n${BASE}/ace/manifest.m3u8?id=${aceId(0)}\n`);
    expect(hls).not.toContain('/ace/getstream');
  });

  it('filters by group, case-insensitively, including Kodi multi-group values', () => {
    const sport = listChannels(playlist, { ...TS, groups: ['sport'] });
    // 'Sport' and 'Football;Sport' are each every 5th entry.
    expect(sport).toHaveLength(96);
    expect(new Set(sport.map((c) => c.group))).toEqual(new Set(['Sport', 'Football;Sport']));
    const text = renderPlaylist(playlist, { ...TS, groups: ['НОВОСТИ', 'عربي'] });
    expect(blocks(text)).toHaveLength(96);
    expect(renderPlaylist(playlist, { ...TS, groups: ['nothing'] })).toBe(`${text.split('\n')[0]}\n`);
  });
});

describe('merging sources', () => {
  const a = listA();
  const b = listB();
  const merged = mergePlaylists([parsePlaylist(a.text), parsePlaylist(b.text), parsePlaylist(LIST_C)]);

  it('lists an id found in several sources once, where it first appears', () => {
    const ids = merged.entries.filter((e) => e.id).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(b.shared).toHaveLength(40);
    expect(ids).toHaveLength(a.ids.length + b.ids.length - b.shared.length + 1);
    // The first copy wins: a shared id keeps list A's name.
    const shared = merged.entries.find((e) => e.id === b.shared[1])!;
    expect(shared.extinf).toContain('tvg-id="ch3.example"');
  });

  it('reads a list without #EXTM3U, with bare ids, #EXTGRP groups and entries without #EXTINF', () => {
    const parsed = parsePlaylist(b.text);
    expect(parsed.header).toEqual([]);
    expect(parsed.entries.map((e) => e.id)).toEqual(b.ids);
    const channels = listChannels(parsed, TS);
    expect(channels[1]).toMatchObject({ group: 'Sport', name: expect.stringContaining('(B1)') });
    expect(channels[0]).toMatchObject({ name: b.ids[0], group: null });
    // An AceStream entry without #EXTINF is given one, so IPTV managers show a name.
    expect(renderPlaylist(parsed, TS)).toContain(`#EXTINF:-1,${b.ids[0]}\n${BASE}/ace/getstream?id=${b.ids[0]}\n`);
  });

  it('keeps the EPG URLs of every source in the header', () => {
    expect(merged.header).toEqual([
      ['url-tvg', 'http://epg.example.net/guide.xml.gz'],
      ['tvg-shift', '0'],
      ['x-tvg-url', 'http://epg.example.com/b.xml'],
    ]);
    const twoEpg = mergePlaylists([parsePlaylist(a.text), parsePlaylist(LIST_C.replace('x-tvg-url', 'url-tvg'))]);
    expect(twoEpg.header[0]).toEqual(['url-tvg', 'http://epg.example.net/guide.xml.gz,http://epg.example.com/b.xml']);
  });

  it('lists groups in order of first appearance', () => {
    expect(listGroups(merged)).toEqual(['Sport', 'Новости', 'Football;Sport', 'عربي', 'Movies, Series', 'Кино']);
  });
});

describe('targets', () => {
  const id = aceId(42);
  it.each([
    [`acestream://${id}`, id],
    [`acestream://${id.toUpperCase()}/`, id],
    [id.toUpperCase(), id],
    [`http://10.0.0.5:6878/ace/getstream?id=${id}`, id],
    [`https://engine.example/ace/getstream/?pid=1&infohash=${id}`, id],
    [`http://h:6878/ace/getstream?content_id=${id.toUpperCase()}&x=1`, id],
    [`http://h:6878/ace/manifest.m3u8?id=${id}`, id],
  ])('%s is AceStream id %s', (target, expected) => {
    expect(streamIdOf(target)).toBe(expected);
  });

  it.each([
    `acestream://${id}0`,
    `${id}0`,
    `http://h:6878/ace/getstream?id=${id.slice(1)}`,
    `http://h:6878/ace/getstream?other=${id}`,
    `http://h/live/${id}.ts`,
    `http://h/getstream?id=${id}`,
    'rtmp://h/live/x',
    'relative/path.ts',
  ])('%s is passed through', (target) => {
    expect(streamIdOf(target)).toBeNull();
  });
});

describe('#EXTINF lines', () => {
  it.each([
    [
      '#EXTINF:-1 tvg-id="a" group-title="News, World",Title, with comma',
      -1,
      { 'tvg-id': 'a', 'group-title': 'News, World' },
      'Title, with comma',
    ],
    ['#EXTINF:0,Plain', 0, {}, 'Plain'],
    ['#EXTINF:10.5 TVG-LOGO=http://x/y.png,Unquoted', 10.5, { 'tvg-logo': 'http://x/y.png' }, 'Unquoted'],
    ['#EXTINF:-1 tvg-name="No comma"', -1, { 'tvg-name': 'No comma' }, ''],
    ['#extinf:-1 catchup="default" catchup-days="3",Low case', -1, { catchup: 'default', 'catchup-days': '3' }, 'Low case'],
  ])('%s', (line, duration, attributes, title) => {
    expect(parseExtinf(line)).toEqual({ duration, attributes, title });
  });
});

describe('input that is no playlist', () => {
  it.each([
    ['', 'empty'],
    ['\ufeff\r\n\r\n', 'empty'],
    ['<!DOCTYPE html><html><body>Cloudflare</body></html>', 'HTML'],
    ['#EXTM3U\n#EXTINF:-1,Nothing after\n', 'no entries'],
    ['\u0000\u0001binary', 'binary'],
  ])('%j is refused (%s)', (text, reason) => {
    expect(() => parsePlaylist(text)).toThrow(PlaylistParseError);
    expect(() => parsePlaylist(text)).toThrow(new RegExp(reason, 'i'));
  });
});
