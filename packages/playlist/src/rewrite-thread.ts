// The thread that parses and rewrites POST /playlist/rewrite bodies (rewriter.ts starts it): a
// 10 MB list takes a second of CPU, which on the gateway's event loop would stall every player.

import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { parsePlaylist } from './m3u.js';
import { mergePlaylists, type RenderOptions, renderPlaylist } from './rewrite.js';

/** Bytes go both ways as transferred buffers: cloning megabyte strings costs the event loop more. */
export interface RewriteJob {
  id: number;
  /** The posted body (UTF-8). */
  body: Uint8Array;
  options: RenderOptions;
}

export type RewriteAnswer = { id: number; m3u: Uint8Array } | { id: number; error: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('rewrite-thread.js runs as a worker thread of PlaylistRewriter');

// The lowest CPU priority, for this thread alone (on Linux a priority is per thread): a rewrite
// is a one-off tool and waits whenever the event loop feeding the players wants a core.
try {
  setPriority(19);
} catch {
  // Not allowed here (some containers): the thread still keeps the work off the event loop.
}

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

port.on('message', ({ id, body, options }: RewriteJob) => {
  try {
    const m3u = encoder.encode(renderPlaylist(mergePlaylists([parsePlaylist(decoder.decode(body))]), options));
    port.postMessage({ id, m3u } satisfies RewriteAnswer, [m3u.buffer as ArrayBuffer]);
  } catch (err) {
    const { name, message } = err as Error;
    port.postMessage({ id, error: { name, message } } satisfies RewriteAnswer);
  }
});
