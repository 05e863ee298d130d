// A configured source (http(s) URL or file) opened as a byte stream, for sources too large to hold.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SourceError } from './errors.js';
import { asSourceError, describeSource, isUrlSource, requestSource, type SourceLimits, tooLarge } from './source.js';

/**
 * The bytes of `source` as a stream, with loadSource's rules (deadline over the whole body, size
 * cap, bounded redirects, credentials hidden). A failure while opening rejects; one while reading
 * (deadline, cap, reset) destroys the stream with a SourceError naming the source, never its secrets.
 */
export async function openSourceStream(source: string, limits: SourceLimits, accept: string): Promise<Readable> {
  if (!isUrlSource(source)) return openFile(source, limits);
  try {
    const res = await requestSource(source, limits, accept);
    if (!res.body) throw new SourceError(describeSource(source), 'empty answer');
    return capped(res.body as Readable, source, limits);
  } catch (err) {
    throw asSourceError(source, err, limits);
  }
}

async function openFile(source: string, limits: SourceLimits): Promise<Readable> {
  const path = source.startsWith('file://') ? fileURLToPath(source) : source;
  try {
    if ((await stat(path)).size > limits.maxBytes) throw tooLarge(source, limits);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new SourceError(source, e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  return capped(createReadStream(path), source, limits);
}

/** `body` passed through, failing once more than `limits.maxBytes` went by (a body without a length). */
function capped(body: Readable, source: string, limits: SourceLimits): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limits.maxBytes) done(tooLarge(describeSource(source), limits));
      else done(null, chunk);
    },
  });
  body.on('error', (err) => out.destroy(asSourceError(source, err, limits)));
  out.on('close', () => body.destroy());
  return body.pipe(out);
}
