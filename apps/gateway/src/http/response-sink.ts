// A player's stream response as the fanout writes it: the head goes out with the first bytes
// through node's ServerResponse, every later write straight to the socket.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientSink } from '@acestream-proxy/stream';

/**
 * How much a connection's socket queues before a write says to wait (its writable high water
 * mark), and how far a player catching up may be written ahead of what its socket took (the
 * fanout's catchUpWriteBytes): one size, so a player's write says to wait exactly when the fanout
 * would. At node's default (16 KiB) every chunk written to a player (~100 KB at 8 Mbit/s) said so
 * and its socket then emitted 'drain', an event per write that nobody waited for.
 */
export const PLAYER_WRITE_AHEAD_BYTES = 2 ** 20;

/**
 * The body runs until the connection closes (no chunked framing, see routes/getstream.ts), so once
 * the head is out a write to the response is the same bytes on the same socket. Through the
 * response, each write corked the socket and uncorked it on the next tick, and went through the
 * outgoing message's checks and its drain relay: ~5% of a worker's profile in steady state (1,000
 * players), though the cpu bench's median did not move beyond its spread. Ending and destroying
 * still go through the response, so node's own bookkeeping of it (its 'close', the server's
 * connection count) holds.
 */
export class ResponseSink implements ClientSink {
  /** The socket, once the head went out with the first write. */
  private socket: Socket | null = null;

  constructor(private readonly res: ServerResponse) {}

  write(chunk: Buffer): boolean {
    if (this.socket) return this.socket.write(chunk);
    const flowing = this.res.write(chunk);
    if (this.res.headersSent && this.res.socket) this.socket = this.res.socket;
    return flowing;
  }

  once(event: 'drain', listener: () => void): this {
    (this.socket ?? this.res).once(event, listener);
    return this;
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  get destroyed(): boolean {
    return this.res.destroyed || (this.socket?.destroyed ?? false);
  }

  get writableLength(): number {
    return this.socket ? this.socket.writableLength : this.res.writableLength;
  }

  cork(): void {
    (this.socket ?? this.res).cork();
  }

  uncork(): void {
    (this.socket ?? this.res).uncork();
  }
}
