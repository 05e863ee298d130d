// What the guide reads from the playlist in use: the guides its header names.

import { playlistGuideUrls } from '@acestream-proxy/epg';
import { GUIDE_ATTRIBUTES, parsePlaylist } from '@acestream-proxy/playlist';
import { describe, expect, it } from '@jest/globals';

describe('playlistGuideUrls', () => {
  it('reads the comma-separated guides of every guide attribute the gateway replaces, http(s) only', () => {
    expect(GUIDE_ATTRIBUTES).toEqual(['url-tvg', 'x-tvg-url', 'tvg-url']);
    const header = GUIDE_ATTRIBUTES.map((name, i) => `${name.toUpperCase()}="http://epg.example/${i}.xml, /etc/passwd"`);
    const playlist = parsePlaylist(`#EXTM3U ${header.join(' ')} tvg-shift="1"\n#EXTINF:-1,One\nacestream://${'ab'.repeat(20)}\n`);
    expect(playlistGuideUrls(playlist)).toEqual(GUIDE_ATTRIBUTES.map((_, i) => `http://epg.example/${i}.xml`));
  });
});
