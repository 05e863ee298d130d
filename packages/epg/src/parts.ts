// Stored parts of the guide: written as gzip in chunks of at most 1 MB, read back chunk by chunk.

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { GuideStore, PartRef } from './store.js';

/** Largest chunk of a part: a Redis reply a worker holds at once while serving the guide. */
export const PART_CHUNK_BYTES = 1024 * 1024;

/** A part being written: text goes into `sink`; `done` gives its reference once `sink` is ended. */
export interface PartSink {
  id: string;
  sink: Gzip;
  done: Promise<PartRef>;
}

/** Starts a part under a new id; its chunks go to `store` as gzip fills them. */
export function createPart(store: GuideStore): PartSink {
  const ref: PartRef = { id: randomUUID(), chunks: 0, bytes: 0 };
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  const append = async (chunk: Buffer) => {
    await store.appendChunk(ref.id, chunk);
    ref.chunks++;
    ref.bytes += chunk.length;
  };
  const chunker = new Writable({
    write(data: Buffer, _encoding, done) {
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes < PART_CHUNK_BYTES) return done();
      // Whole chunks go now; the rest starts the next one.
      const all = Buffer.concat(pending.splice(0), pendingBytes);
      const whole = all.length - (all.length % PART_CHUNK_BYTES);
      pendingBytes = all.length - whole;
      if (pendingBytes > 0) pending.push(all.subarray(whole));
      (async () => {
        for (let at = 0; at < whole; at += PART_CHUNK_BYTES) await append(all.subarray(at, at + PART_CHUNK_BYTES));
      })().then(() => done(), done);
    },
    final(done) {
      (pendingBytes > 0 ? append(Buffer.concat(pending, pendingBytes)) : Promise.resolve()).then(() => done(), done);
    },
  });
  // Level 6 (zlib's default): about 10:1 on XMLTV, at a CPU cost the refresh can afford.
  const sink = createGzip();
  const done = pipeline(sink, chunker).then(() => ref);
  // The caller ends or destroys `sink`; a failure surfaces through `done`, never unhandled.
  done.catch(() => {});
  return { id: ref.id, sink, done };
}

/** A part's gzip bytes, one chunk at a time; throws when a chunk is missing (the part was deleted). */
export async function* readPart(store: GuideStore, ref: PartRef): AsyncGenerator<Buffer> {
  for (let i = 0; i < ref.chunks; i++) {
    const chunk = await store.readChunk(ref.id, i);
    if (!chunk) throw new Error(`guide part ${ref.id} lost its chunk ${i} of ${ref.chunks}: it was replaced while being read`);
    yield chunk;
  }
}
