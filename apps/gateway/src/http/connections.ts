// The one door of a worker's HTTP server, whoever accepted the connection (its own listener, or
// the shared socket's acceptor): past the connection budget a fast 503, else deadlines and HTTP.

import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import type { Logger } from '@acestream-proxy/stream';
import { ACCEPTORS_PER_WORKER } from '../cluster/shared-socket.js';
import { ConnectionDeadlines, type DeadlineSettings } from './deadlines.js';
import { ConnectionBudgetError, rawErrorResponse } from './errors.js';

/**
 * Descriptors PROXY_MAX_CONNECTIONS=auto keeps for what is not a player's connection: the copies
 * of the shared socket (twice ACCEPTORS_PER_WORKER), engine sessions and API calls, Redis, files.
 */
export const RESERVED_DESCRIPTORS = 2 * ACCEPTORS_PER_WORKER + 256;

/** A refused connection is destroyed this long after its 503, whether or not the client closes. */
const REFUSED_LINGER_MS = 1000;

/** At most one log line about refused connections this often. */
const WARN_EVERY_MS = 10_000;

/**
 * Answers a connection with a whole response and closes it. The request is read (and dropped) so
 * that closing sends FIN, not a reset that could cost the client the answer.
 */
export function refuse(socket: net.Socket, answer: string): void {
  socket.on('error', () => {});
  socket.resume();
  socket.end(answer);
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

/** The soft limit of open files of this process (Linux), or null where it cannot be read. */
function descriptorLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line) return null;
    return line[1] === 'unlimited' ? null : Number(line[1]);
  } catch {
    return null;
  }
}

/** PROXY_MAX_CONNECTIONS as a number of connections, or null for no limit. */
export function connectionBudget(setting: number | 'auto'): number | null {
  if (setting !== 'auto') return setting === 0 ? null : setting;
  const limit = descriptorLimit();
  if (limit === null) return null;
  // A small limit (1024 is common) still leaves half to players.
  return Math.max(limit - RESERVED_DESCRIPTORS, Math.floor(limit / 2));
}

export class ConnectionGate {
  readonly deadlines: ConnectionDeadlines;
  private readonly tooMany: string;
  private refused = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly server: http.Server,
    settings: DeadlineSettings,
    private readonly budget: number | null,
    private readonly logger: Logger,
  ) {
    this.deadlines = new ConnectionDeadlines(settings);
    this.tooMany = rawErrorResponse(new ConnectionBudgetError(budget ?? 0));
    // node's own header and request checks, and its keep-alive timer, give way to the deadlines.
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    server.keepAliveTimeout = 0;
  }

  /** Every accepted connection comes through here. */
  readonly admit = (socket: net.Socket): void => {
    if (this.budget !== null && this.deadlines.size >= this.budget) {
      this.refuse(socket);
      return;
    }
    this.deadlines.track(socket);
    this.server.emit('connection', socket);
  };

  /** The worker is stopping: every connection ends. */
  close(): void {
    this.deadlines.stop();
    this.deadlines.closeAll();
  }

  /** Refused before EMFILE: past the budget, accept() would soon fail for engines and Redis too. */
  private refuse(socket: net.Socket): void {
    refuse(socket, this.tooMany);
    this.refused++;
    const now = performance.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn('connection budget reached: new connections answered 503', {
      limit: this.budget,
      refused: this.refused,
      setting: 'PROXY_MAX_CONNECTIONS',
    });
  }
}
