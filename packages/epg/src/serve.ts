// The stored guide written to a response as a stream: unpacked, or packed again as one gzip member.

import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import { readPart } from './parts.js';
import type { GuideMeta, GuideStore } from './store.js';
import { XMLTV_FOOTER, XMLTV_HEADER } from './xmltv.js';

const HEADER_GZ = gzipSync(XMLTV_HEADER);
const FOOTER_GZ = gzipSync(XMLTV_FOOTER);

/**
 * Level of the gzip `/epg.xml.gz` is packed again with: fast (about a second of one core per
 * 100 MB, on zlib's thread pool, not the event loop), at a ratio close to the default's on XMLTV.
 */
const REPACK_LEVEL = 1;

/**
 * The guide is stored as a series of gzip members (header, channels, each source's programmes,
 * footer), so a refresh reuses the copies of sources that did not change. Concatenated they are
 * a valid gzip file (RFC 1952 §2.2), but libcurl (Kodi, `curl --compressed`) and others stop at
 * the end of the first member: the guide is unpacked with one gunzip, and `/epg.xml.gz` packed
 * again as one member. A worker holds one chunk (≤ 1 MB) at a time, and reads the next only when
 * the client has taken the last.
 */
export async function writeStoredGuide(store: GuideStore, meta: GuideMeta, out: Writable, gzip: boolean): Promise<void> {
  const members = Readable.from(gzipMembers(store, meta), { objectMode: false });
  if (gzip) await pipeline(members, createGunzip(), createGzip({ level: REPACK_LEVEL }), out);
  else await pipeline(members, createGunzip(), out);
}

async function* gzipMembers(store: GuideStore, meta: GuideMeta): AsyncGenerator<Buffer> {
  yield HEADER_GZ;
  for (const part of [meta.parts.channels, ...meta.parts.programmes]) yield* readPart(store, part);
  yield FOOTER_GZ;
}
