// The lineup a media server reads: the playlist's AceStream channels, numbered, with stream URLs.

import { parsePlaylist } from '@acestream-proxy/playlist';
import { deviceXml, discoverJson, lineupJson, MemoryGuideNumberStore, TunerService } from '@acestream-proxy/tuner';
import { describe, expect, it } from '@jest/globals';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const list = (...lines: string[]) => parsePlaylist(['#EXTM3U', ...lines].join('\n'));

describe('tuner lineup', () => {
  it('lists AceStream channels by GuideNumber, tvg-chno first, with /auto/v URLs', async () => {
    const tuner = new TunerService({
      store: new MemoryGuideNumberStore(),
      friendlyName: 'Ace',
      tunerCount: 3,
      deviceId: '1000000F',
    });
    const playlist = list(
      `#EXTINF:-1 tvg-id="news.uk" tvg-chno="7",News & Co HD`,
      `acestream://${A}`,
      '#EXTINF:-1,Radio stream (not AceStream)',
      'http://example.invalid/radio.mp3',
      `#EXTINF:-1 tvg-id="sport.uk",Sport`,
      `http://127.0.0.1:6878/ace/getstream?id=${B}`,
    );
    const channels = await tuner.lineup(playlist, 1);
    expect(channels.map((c) => [c.guideNumber, c.name, c.tvgId, c.hd])).toEqual([
      ['1', 'Sport', 'sport.uk', false],
      ['7', 'News & Co HD', 'news.uk', true],
    ]);
    expect(lineupJson(channels, { baseUrl: 'http://tv.lan:8000' })).toEqual([
      { GuideNumber: '1', GuideName: 'Sport', URL: 'http://tv.lan:8000/auto/v1', HD: 0, Favorite: 0 },
      { GuideNumber: '7', GuideName: 'News & Co HD', URL: 'http://tv.lan:8000/auto/v7', HD: 1, Favorite: 0 },
    ]);
    expect(await tuner.streamOf(playlist, 1, '7')).toBe(A);
    expect(await tuner.streamOf(playlist, 1, '8')).toBeNull();

    // The next copy (reordered, one more channel) keeps the numbers and adds one.
    const next = list(`#EXTINF:-1,New`, C, `#EXTINF:-1 tvg-chno="7",News & Co HD`, A, `#EXTINF:-1,Sport`, B);
    const again = await tuner.lineup(next, 2);
    expect(again.map((c) => [c.guideNumber, c.id])).toEqual([
      ['1', B],
      ['2', C],
      ['7', A],
    ]);
  });

  it('describes itself with its stored DeviceID, base URL and escaped XML', async () => {
    const store = new MemoryGuideNumberStore();
    await store.deviceId('13ABCDE0');
    const tuner = new TunerService({ store, friendlyName: 'Ace <Proxy>', tunerCount: 4, deviceId: '1000000F' });
    const device = await tuner.describe();
    expect(device.deviceId).toBe('13ABCDE0');
    const discover = discoverJson(device, { baseUrl: 'http://tv.lan:8000', query: 'token=x' });
    expect(discover).toMatchObject({
      DeviceID: '13ABCDE0',
      TunerCount: 4,
      BaseURL: 'http://tv.lan:8000',
      LineupURL: 'http://tv.lan:8000/lineup.json?token=x',
    });
    const xml = deviceXml(device, { baseUrl: 'http://tv.lan:8000' });
    expect(xml).toContain('<friendlyName>Ace &lt;Proxy&gt;</friendlyName>');
    expect(xml).toContain('<URLBase>http://tv.lan:8000</URLBase>');
  });
});
