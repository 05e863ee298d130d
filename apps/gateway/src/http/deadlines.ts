// Header, body and idle deadlines of every connection a worker serves, in every mode, checked by
// one sweep over the connections that have one running (DESIGN §16).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { RequestTimeoutError, rawErrorResponse } from './errors.js';

export interface DeadlineSettings {
  /** From accept, or from the first byte after a response, until a request's headers are in. */
  headersMs: number;
  /** From a request's headers until its body is in. */
  bodyMs: number;
  /** Between requests: from the end of a response until the next request's first byte. */
  idleMs: number;
}

/** What a connection waits for: only a request being answered (a stream's body) has no deadline. */
type Phase = 'headers' | 'body' | 'answering' | 'idle' | 'closing';

interface Connection {
  socket: Socket;
  phase: Phase;
  deadline: number;
  /** Requests whose responses have not closed (more than one when pipelined). */
  open: number;
  /** The request whose body is awaited, in the body phase. */
  request: IncomingMessage | null;
  /** socket.bytesRead when it went idle: more means the next request has begun. */
  bytesAtIdle: number;
}

/** A connection told it timed out gets this long to take its 408 before it is destroyed. */
const CLOSING_MS = 1000;

const TIMED_OUT = rawErrorResponse(new RequestTimeoutError());

/**
 * node's own checks (headersTimeout, requestTimeout) run from the server's `listening` event, and
 * a worker's server never listens (it is handed accepted sockets, cluster/shared-socket.ts): slowloris and idle
 * connections then lived for ever. These deadlines replace node's in every mode (node's are
 * switched off on the server). A connection answering a request is off the sweep, so a kick-off of
 * thousands of streams costs the sweep nothing; it comes back when its last response closes.
 */
export class ConnectionDeadlines {
  private readonly connections = new Map<Socket, Connection>();
  /** The connections with a deadline running. */
  private readonly watched = new Set<Connection>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly settings: DeadlineSettings) {
    // Deadlines are met within a quarter of the shortest one (and a second at most).
    const every = Math.max(50, Math.min(1000, Math.min(settings.headersMs, settings.bodyMs, settings.idleMs) / 4));
    this.sweep = setInterval(() => this.check(), every);
    this.sweep.unref();
  }

  /** Open connections (for the connection budget). */
  get size(): number {
    return this.connections.size;
  }

  /** A connection just accepted: its first request's headers are due. */
  track(socket: Socket): void {
    const connection: Connection = {
      socket,
      phase: 'headers',
      deadline: performance.now() + this.settings.headersMs,
      open: 0,
      request: null,
      bytesAtIdle: 0,
    };
    this.connections.set(socket, connection);
    this.watched.add(connection);
    socket.once('close', () => {
      this.connections.delete(socket);
      this.watched.delete(connection);
    });
  }

  /** A request's headers are in (called for each, pipelined ones included, as node parses them). */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.connections.get(req.socket);
    if (!connection || connection.phase === 'closing') return;
    connection.open++;
    connection.phase = 'body';
    connection.deadline = performance.now() + this.settings.bodyMs;
    connection.request = req;
    this.watched.add(connection);
    res.once('close', () => this.answered(connection));
  }

  /** Ends every connection (the worker is stopping). */
  closeAll(): void {
    for (const socket of this.connections.keys()) socket.destroy();
  }

  stop(): void {
    clearInterval(this.sweep);
  }

  private answered(connection: Connection): void {
    if (--connection.open > 0 || connection.phase === 'closing') return;
    connection.phase = 'idle';
    connection.request = null;
    connection.deadline = performance.now() + this.settings.idleMs;
    connection.bytesAtIdle = connection.socket.bytesRead;
    this.watched.add(connection);
  }

  private check(): void {
    const now = performance.now();
    for (const connection of this.watched) {
      switch (connection.phase) {
        case 'headers':
          if (now > connection.deadline) this.timeOut(connection, now);
          break;
        case 'body':
          // A request without a body is complete as soon as it is parsed.
          if (connection.request?.complete) {
            connection.phase = 'answering';
            connection.request = null;
            this.watched.delete(connection);
          } else if (now > connection.deadline) {
            // A handler may be answering already: no 408 written under it.
            connection.socket.destroy();
          }
          break;
        case 'idle':
          if (connection.socket.bytesRead > connection.bytesAtIdle) {
            connection.phase = 'headers';
            connection.deadline = now + this.settings.headersMs;
          } else if (now > connection.deadline) connection.socket.destroy();
          break;
        case 'closing':
          if (now > connection.deadline) connection.socket.destroy();
          break;
        case 'answering':
          this.watched.delete(connection);
          break;
      }
    }
  }

  /** Headers not in: a 408 (as node's own check sends), then the connection is destroyed. */
  private timeOut(connection: Connection, now: number): void {
    connection.phase = 'closing';
    connection.deadline = now + CLOSING_MS;
    connection.socket.end(TIMED_OUT);
  }
}
