// Several XMLTV sources merged into one guide, as streams: channels first, then programmes.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type FilterResult, filterGuide } from './filter.js';
import type { ChannelMatcher } from './matcher.js';

export interface SourceOutcome extends FilterResult {
  source: string;
  error: string | null;
}

/** A source opened as a byte stream (a file, an HTTP body); gzip is recognised by its magic bytes. */
export type OpenSource = () => Promise<Readable>;

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv generator-info-name="acestream-proxy">\n';

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
    if (!out.write(HEADER)) await new Promise((resolve) => out.once('drain', resolve));
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
    await new Promise<void>((resolve) => out.end('</tv>\n', resolve));
    return outcomes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The source's bytes, gunzipped when they start with gzip's magic number (`.xml.gz` or not). */
function gunzipIfNeeded(input: Readable): Readable {
  const out = new PassThrough();
  let decided = false;
  input.on('error', (err) => out.destroy(err));
  input.on('data', function first(chunk: Buffer) {
    if (decided) return;
    decided = true;
    input.off('data', first);
    input.pause();
    if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
      const gunzip = createGunzip();
      gunzip.on('error', (err) => out.destroy(err));
      gunzip.write(chunk);
      input.pipe(gunzip).pipe(out);
    } else {
      out.write(chunk);
      input.pipe(out);
    }
    input.resume();
  });
  input.on('end', () => {
    if (!decided) out.end();
  });
  return out;
}
