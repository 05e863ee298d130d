// PlaylistRewriter: M3U text rewritten to point at the proxy on a thread of its own, one list at a
// time, so the event loop that feeds the players only copies the text in and the answer out.

import { Worker } from 'node:worker_threads';
import { PlaylistParseError, RewriteBusyError } from './errors.js';
import type { RenderOptions } from './rewrite.js';
import type { RewriteAnswer, RewriteJob } from './rewrite-thread.js';

export interface PlaylistRewriterOptions {
  /**
   * Rewrites waiting or running at once; one more is refused with RewriteBusyError. Each holds
   * its text (up to the body limit) until its turn, so this bounds the memory they take.
   */
  maxQueued: number;
}

interface Waiting {
  resolve: (m3u: Buffer) => void;
  reject: (err: Error) => void;
}

/**
 * One thread per process: the gateway already runs a process per core, so more threads would
 * only compete for the same cores, and one bounds the CPU and memory a flood of rewrites takes.
 * The thread starts with the first rewrite and does not hold the process open.
 */
export class PlaylistRewriter {
  private thread: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly options: PlaylistRewriterOptions) {}

  /**
   * The playlist in `body` (UTF-8) rewritten, as UTF-8; PlaylistParseError when it is no M3U
   * playlist. A body that fills a memory block of its own is handed to the thread, not copied:
   * the caller must not use it afterwards.
   */
  rewrite(body: Uint8Array, options: RenderOptions): Promise<Buffer> {
    if (this.waiting.size >= this.options.maxQueued) return Promise.reject(new RewriteBusyError(this.waiting.size));
    const id = this.nextId++;
    // Small Buffers share a pooled block with others: those are copied.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const job: RewriteJob = { id, body: own ? body : new Uint8Array(body), options };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.start().postMessage(job, [job.body.buffer as ArrayBuffer]);
    });
  }

  close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    this.fail(new Error('the playlist rewriter was closed'));
    return thread ? thread.terminate().then(() => undefined) : Promise.resolve();
  }

  private start(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./rewrite-thread.js', import.meta.url));
    thread.unref();
    thread.on('message', (answer: RewriteAnswer) => {
      const waiting = this.waiting.get(answer.id);
      if (!waiting) return;
      this.waiting.delete(answer.id);
      if ('m3u' in answer) waiting.resolve(Buffer.from(answer.m3u.buffer, answer.m3u.byteOffset, answer.m3u.byteLength));
      else if (answer.error.name === 'PlaylistParseError') waiting.reject(new PlaylistParseError(answer.error.message));
      else waiting.reject(new Error(`playlist rewrite failed: ${answer.error.message}`));
    });
    // A thread that died takes its jobs with it; the next rewrite starts a new one.
    const lost = (err: Error) => {
      if (this.thread !== thread) return;
      this.thread = null;
      this.fail(err);
    };
    thread.on('error', lost);
    thread.on('exit', (code) => lost(new Error(`the playlist rewrite thread exited (code ${code})`)));
    this.thread = thread;
    return thread;
  }

  private fail(err: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(err);
    this.waiting.clear();
  }
}
