// A player's live MPEG-TS body, written straight to its socket in HTTP/1.1 chunked framing.
//
// The bytes are those res.write() would send; what it leaves out is res.write()'s work per call
// (a cork held until the next tick, header and length bookkeeping, three writes through the
// response's layers). The fanout writes every chunk to every player, so that work was paid
// thousands of times per chunk; here a chunk costs one corked writev on the socket, done at once
// (inside the fanout's time slice, not after it).

import type { ServerResponse } from 'node:http';
import type { ClientSink } from '@acestream-proxy/stream';

const CRLF = Buffer.from('\r\n');

export class LiveBody implements ClientSink {
  private headersSent = false;

  constructor(private readonly res: ServerResponse) {}

  write(chunk: Buffer): boolean {
    const socket = this.res.socket;
    if (!socket || this.destroyed) return false;
    if (!this.headersSent) {
      // The status and headers set so far (chunked, as there is no length), sent on their own.
      this.res.flushHeaders();
      this.headersSent = true;
    }
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    const flowing = socket.write(CRLF);
    socket.uncork();
    return flowing;
  }

  once(event: 'drain', listener: () => void): unknown {
    return this.res.socket?.once(event, listener);
  }

  /** The last chunk and the end of the response, through the response (keep-alive stays right). */
  end(): unknown {
    return this.res.end();
  }

  destroy(): unknown {
    return this.res.destroy();
  }

  get destroyed(): boolean {
    return this.res.destroyed || !this.res.socket || this.res.socket.destroyed;
  }

  get writableLength(): number {
    return this.res.socket?.writableLength ?? 0;
  }

  cork(): void {
    this.res.socket?.cork();
  }

  uncork(): void {
    this.res.socket?.uncork();
  }
}
