// One guide source (EPG_SOURCES entry or a playlist's url-tvg) opened as a stream of XMLTV text bytes.

import { type Readable, Transform } from 'node:stream';
import { describeSource, isUrlSource, openSourceStream, SourceError, type SourceLimits } from '@acestream-proxy/playlist';
import { gunzipIfNeeded } from './gunzip.js';

export interface GuideSourceLimits extends SourceLimits {
  /** Largest guide once unpacked, bytes: a small gzip file can unpack to gigabytes. */
  maxXmlBytes: number;
}

const ACCEPT = 'application/xml, text/xml, application/gzip, application/x-gzip, */*';

/** An opened source: its XMLTV bytes (gunzipped when gzip) and how many bytes came from the source. */
export interface OpenedGuide {
  xml: Readable;
  received(): number;
}

/** Opens `source` with the playlist sources' rules (deadline, size cap, redirects, hidden credentials). */
export async function openGuideSource(source: string, limits: GuideSourceLimits): Promise<OpenedGuide> {
  const raw = await openSourceStream(source, { ...limits, maxBytesKnob: limits.maxBytesKnob ?? 'EPG_MAX_BYTES' }, ACCEPT);
  let received = 0;
  raw.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  let unpacked = 0;
  const name = isUrlSource(source) ? describeSource(source) : source;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      unpacked += chunk.length;
      if (unpacked > limits.maxXmlBytes) {
        done(new SourceError(name, `more than ${limits.maxXmlBytes} bytes once unpacked (EPG_MAX_BYTES)`));
      } else done(null, chunk);
    },
  });
  const xml = gunzipIfNeeded(raw);
  xml.on('error', (err) => cap.destroy(err));
  cap.on('close', () => xml.destroy());
  return { xml: xml.pipe(cap), received: () => received };
}
