// Reads one engine playback response into whole TS packets, under the first-byte and no-data deadlines.

import type { IncomingMessage } from 'node:http';
import type { TsAligner } from '@acestream-proxy/ts';

export interface PlaybackReadOptions {
  /** Deadline for the response's first byte (PROXY_INIT_TIMEOUT: engines prebuffer first), ms. */
  initTimeoutMs: number;
  /**
   * Longest stretch without a whole TS packet once the engine sends (PROXY_NO_DATA_TIMEOUT), ms.
   * Only aligned packets count: an engine sending an HTML page or other bytes for ever is as
   * dead as a silent one.
   */
  noDataTimeoutMs: number;
  /** Largest piece taken from the response at once (PROXY_CHUNK_SIZE); its high-water mark too. */
  readChunkSize: number;
  aligner: TsAligner;
  /** Every piece read, packets or not. */
  onRead(piece: Buffer): void;
  /** The whole packets found, in order. */
  onPackets(packets: Buffer): void;
  /** The response's first whole packets: the engine delivers. */
  onFirstPackets(): void;
}

/** Why a read ended, and how long it delivered packets before that. */
export interface ReadOutcome {
  kind: 'ended' | 'timeout' | 'failed';
  detail: string;
  servedMs: number;
}

/**
 * Reads `res` until it ends, fails or goes without packets too long; destroys it then. The
 * response is read in pieces of at most `readChunkSize` (paused mode), so it buffers little
 * more than that before the socket is paused.
 */
export function readPlayback(res: IncomingMessage, options: PlaybackReadOptions): Promise<ReadOutcome> {
  const { aligner, readChunkSize } = options;
  return new Promise<ReadOutcome>((resolve) => {
    let gotBytes = false;
    let firstPacketsAt = 0;
    /** Bytes read since the last whole packet, for the timeout's message. */
    let stray = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (kind: ReadOutcome['kind'], detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.removeListener('readable', take);
      res.destroy();
      resolve({ kind, detail, servedMs: firstPacketsAt ? Date.now() - firstPacketsAt : 0 });
    };
    const arm = () => {
      clearTimeout(timer);
      const ms = gotBytes ? options.noDataTimeoutMs : options.initTimeoutMs;
      timer = setTimeout(() => {
        const what = stray > 0 ? `${stray} bytes but no TS packets` : 'no data';
        done('timeout', `${what} from the engine for ${ms} ms`);
      }, ms);
    };
    const onPiece = (piece: Buffer) => {
      options.onRead(piece);
      if (!gotBytes) {
        // Past prebuffering: from now on the no-data deadline, whatever the bytes are.
        gotBytes = true;
        arm();
      }
      const packets = aligner.push(piece);
      if (!packets) {
        stray += piece.length;
        return;
      }
      stray = 0;
      if (!firstPacketsAt) {
        firstPacketsAt = Date.now();
        options.onFirstPackets();
      }
      arm();
      options.onPackets(packets);
    };
    function take(): void {
      // read(n) with n <= readableLength returns n bytes (a view when they lie in one buffer);
      // read() on an empty buffer returns null and asks the socket for more.
      while (!settled) {
        const piece = res.read(Math.min(res.readableLength, readChunkSize) || undefined) as Buffer | null;
        if (!piece) return;
        onPiece(piece);
      }
    }
    arm();
    res.on('readable', take);
    res.once('end', () => done('ended', 'the engine ended the stream'));
    res.once('error', (err) => done('failed', err.message));
    res.once('close', () => done('ended', 'the engine closed the connection'));
  });
}
