// Several XMLTV sources merged into one guide, as streams: channels first, then programmes.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type FilterResult, filterGuide } from './filter.js';
import { gunzipIfNeeded } from './gunzip.js';
import type { ChannelMatcher } from './matcher.js';
import { XMLTV_FOOTER, XMLTV_HEADER } from './xmltv.js';

export interface SourceOutcome extends FilterResult {
  source: string;
  error: string | null;
}

/** A source opened as a byte stream (a file, an HTTP body); gzip is recognised by its magic bytes. */
export type OpenSource = () => Promise<Readable>;

/**
 * XMLTV wants every `<channel>` before the first `<programme>`, and each source lists its own
 * channels first: programmes are spooled to a temporary file while the sources are read, then
 * appended after the channels. Memory stays at one element per source whatever the guide size.
 */
export async function mergeGuides(
  sources: ReadonlyArray<{ name: string; open: OpenSource }>,
  matcher: ChannelMatcher,
  out: Writable,
): Promise<SourceOutcome[]> {
  const dir = await mkdtemp(join(tmpdir(), 'acestream-epg-'));
  try {
    const programmesFile = join(dir, 'programmes.xml');
    const programmes = createWriteStream(programmesFile);
    const written = new Set<string>();
    if (!out.write(XMLTV_HEADER)) await new Promise((resolve) => out.once('drain', resolve));
    const outcomes: SourceOutcome[] = [];
    for (const source of sources) {
      try {
        const input = gunzipIfNeeded(await source.open());
        const result = await filterGuide(input, matcher, { channels: out, programmes }, written);
        outcomes.push({ source: source.name, error: null, ...result });
      } catch (err) {
        outcomes.push({ source: source.name, error: (err as Error).message, channels: 0, programmes: 0 });
      }
    }
    await new Promise<void>((resolve, reject) => programmes.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await pipeline(createReadStream(programmesFile), out, { end: false });
    await new Promise<void>((resolve) => out.end(XMLTV_FOOTER, resolve));
    return outcomes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
