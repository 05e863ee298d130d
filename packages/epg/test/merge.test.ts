// Guides merged as streams: a 10 MB generated guide filtered to the playlist's channels with
// small memory growth, ids mapped to tvg-id, and output that tv_validate_file accepts.

import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelMatcher, type GuideChannel, mergeGuides } from '@acestream-proxy/epg';
import { tempDir, validateXmltv as validate, writeXmltvGuide } from '@acestream-proxy/test-utils';
import { beforeAll, describe, expect, it } from '@jest/globals';

describe('XMLTV merge', () => {
  const dir = tempDir('epg');
  const big = join(dir, 'big.xml.gz');
  const small = join(dir, 'small.xml');
  beforeAll(async () => {
    await writeXmltvGuide(big, 2000, 10 * 1024 * 1024);
    await writeXmltvGuide(small, 3, 20_000);
  });

  it('filters a 10 MB gzipped guide to the playlist channels with little memory, valid for tv_validate_file', async () => {
    const channels: GuideChannel[] = [
      { tvgId: 'src.5', name: 'Five', guideNumber: '1' },
      // No tvg-id: matched by display name, named by its GuideNumber.
      { tvgId: null, name: 'channel 1999', guideNumber: '2' },
      { tvgId: 'nowhere', name: 'Not in any guide', guideNumber: '3' },
    ];
    const out = join(dir, 'out.xml');
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const outcomes = await mergeGuides(
      [
        { name: 'big', open: async () => createReadStream(big) },
        { name: 'missing', open: async () => createReadStream(join(dir, 'nope.xml')) },
      ],
      new ChannelMatcher(channels),
      createWriteStream(out),
    );
    clearInterval(sampler);
    const growthMb = (peak - rssBefore) / 2 ** 20;
    expect(growthMb).toBeLessThan(100);
    expect(outcomes[0]).toMatchObject({ source: 'big', error: null, channels: 2 });
    expect(outcomes[0]!.programmes).toBeGreaterThan(10);
    expect(outcomes[1]!.error).toMatch(/ENOENT/);
    const xml = readFileSync(out, 'utf8');
    expect(xml).toContain('<channel id="src.5"><display-name lang="en">Channel 5</display-name>');
    // The GuideNumber after the source's names, in their language (Jellyfin picks a name by language).
    expect(xml).toContain(
      '<channel id="ace.2"><display-name lang="en">Channel 1999</display-name><display-name lang="en">2</display-name>',
    );
    expect(xml).toMatch(/<programme [^>]*channel="ace\.2"><title lang="en">Show 0 &amp; friends on 1999<\/title>/);
    expect(xml).not.toContain('channel="src.6"');
    // Every channel before the first programme, as XMLTV's DTD requires.
    expect(xml.lastIndexOf('<channel ')).toBeLessThan(xml.indexOf('<programme '));
    await validate(out);
    console.log(`10 MB guide merged: peak RSS growth ${growthMb.toFixed(1)} MB`);
  });

  it('merges two sources: a channel both list is written once, programmes of both kept', async () => {
    const out = join(dir, 'two.xml');
    const outcomes = await mergeGuides(
      [
        { name: 'a', open: async () => createReadStream(small) },
        { name: 'b', open: async () => createReadStream(small) },
      ],
      new ChannelMatcher([{ tvgId: 'SRC.1', name: 'One', guideNumber: '4' }]),
      createWriteStream(out),
    );
    expect(outcomes.map((o) => o.channels)).toEqual([1, 0]);
    const xml = readFileSync(out, 'utf8');
    expect(xml.match(/<channel /g)).toHaveLength(1);
    expect(xml).toContain('<channel id="SRC.1">');
    expect(outcomes[1]!.programmes).toBe(outcomes[0]!.programmes);
    await validate(out);
  });
});
