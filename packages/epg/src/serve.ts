// The stored guide written to a response as a stream: gzip as stored, or unpacked on the way out.

import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { readPart } from './parts.js';
import type { GuideMeta, GuideStore } from './store.js';
import { XMLTV_FOOTER, XMLTV_HEADER } from './xmltv.js';

const HEADER_GZ = gzipSync(XMLTV_HEADER);
const FOOTER_GZ = gzipSync(XMLTV_FOOTER);

/**
 * The guide is a series of gzip members (header, channels, each source's programmes, footer):
 * concatenated, they are one valid gzip file (RFC 1952 §2.2), which `/epg.xml.gz` sends as stored
 * and `/epg.xml` unpacks with one gunzip. A worker holds one chunk (≤ 1 MB) at a time, and reads
 * the next only when the client has taken the last.
 */
export async function writeStoredGuide(store: GuideStore, meta: GuideMeta, out: Writable, gzip: boolean): Promise<void> {
  const members = Readable.from(gzipMembers(store, meta), { objectMode: false });
  if (gzip) await pipeline(members, out);
  else await pipeline(members, createGunzip(), out);
}

async function* gzipMembers(store: GuideStore, meta: GuideMeta): AsyncGenerator<Buffer> {
  yield HEADER_GZ;
  for (const part of [meta.parts.channels, ...meta.parts.programmes]) yield* readPart(store, part);
  yield FOOTER_GZ;
}
