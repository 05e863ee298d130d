// A guide's bytes gunzipped when they are gzip, whatever the file name or Content-Type says.

import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The source's bytes, gunzipped when they start with gzip's magic number (`.xml.gz` or not). */
export function gunzipIfNeeded(input: Readable): Readable {
  const out = new PassThrough();
  let decided = false;
  input.on('error', (err) => out.destroy(err));
  out.on('close', () => input.destroy());
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
