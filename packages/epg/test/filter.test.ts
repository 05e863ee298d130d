// One source's guide filtered as a stream to the playlist's channels, under their merged ids.

import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ChannelMatcher, filterGuide } from '@acestream-proxy/epg';
import { tempDir, writeXmltvGuide } from '@acestream-proxy/test-utils';
import { beforeAll, describe, expect, it } from '@jest/globals';

/** A sink keeping what it is given, as text. */
function collector(): { text: () => string; sink: Writable } {
  const parts: string[] = [];
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      parts.push(String(chunk));
      done();
    },
  });
  return { text: () => parts.join(''), sink };
}

describe('filterGuide', () => {
  const guide = join(tempDir('epg-filter'), 'small.xml');
  beforeAll(() => writeXmltvGuide(guide, 3, 20_000));

  it("keeps the playlist's channels, by tvg-id or else by display name (named ace.<GuideNumber>), with their programmes; a merged id already written is not written again", async () => {
    const matcher = new ChannelMatcher([
      { tvgId: 'SRC.1', name: 'One', guideNumber: '4' },
      { tvgId: null, name: 'channel 2', guideNumber: '2' },
      { tvgId: 'nowhere', name: 'Not in any guide', guideNumber: '3' },
    ]);
    const written = new Set<string>();
    const [channels, programmes] = [collector(), collector()];
    const first = await filterGuide(
      createReadStream(guide),
      matcher,
      { channels: channels.sink, programmes: programmes.sink },
      written,
    );
    expect(first.channels).toBe(2);
    expect(channels.text().match(/<channel id="[^"]*"/g)).toEqual(['<channel id="SRC.1"', '<channel id="ace.2"']);
    // The GuideNumber after the source's names, in their language (Jellyfin picks a name by language).
    expect(channels.text()).toContain(
      '<channel id="ace.2"><display-name lang="en">Channel 2</display-name><display-name lang="en">2</display-name>',
    );
    expect(programmes.text()).toMatch(/<programme [^>]*channel="ace\.2"><title lang="en">Show 0 &amp; friends on 2<\/title>/);
    expect(programmes.text()).not.toContain('channel="src.0"');
    expect(programmes.text().match(/<programme /g)).toHaveLength(first.programmes);

    // The same guide again (a second source listing the same channels): programmes kept, channels not repeated.
    const [again, more] = [collector(), collector()];
    const second = await filterGuide(createReadStream(guide), matcher, { channels: again.sink, programmes: more.sink }, written);
    expect(second).toEqual({ channels: 0, programmes: first.programmes });
    expect(again.text()).toBe('');
  });
});
