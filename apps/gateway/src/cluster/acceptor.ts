// A cluster worker's side of the shared listening socket (see shared-socket.ts): accepts from its copies
// while the primary lets it, keeps spare copies to start again on, holds connections until its
// HTTP app is up, and tells the primary how many connections it has open.

import net from 'node:net';
import type { Logger } from '@acestream-proxy/stream';
import { refuse } from '../http/connections.js';
import { rawErrorResponse, WorkerNotReadyError } from '../http/errors.js';
import { PLAYER_WRITE_AHEAD_BYTES } from '../http/response-sink.js';
import {
  ACCEPT,
  ACCEPT_BACKLOG,
  ACCEPTORS_PER_WORKER,
  LISTEN,
  LOAD,
  type LoadMessage,
  PAUSE,
  READY,
  type SocketHandle,
  WANT,
  type WantMessage,
} from './shared-socket.js';

/** Longest delay of a connection-count report to the primary. */
const REPORT_EVERY_MS = 20;

/**
 * Copies listened on while connections trickle in. Each connection wakes every descriptor
 * listening on the socket, in every worker (a lone join took ~0.5 ms longer with all 64 of two
 * workers listening); a turn that takes a connection on each of these means a queue, and the
 * worker then listens on every copy it holds.
 */
const IDLE_ACCEPTORS = 4;

const NOT_READY = rawErrorResponse(new WorkerNotReadyError());

export class SharedSocketAcceptor {
  /** The copies of the listening socket this worker accepts from (see ACCEPTORS_PER_WORKER). */
  private readonly acceptors: net.Server[] = [];
  /** Copies held, not listened on: after a pause, the worker starts accepting again on these at once. */
  private readonly spares: SocketHandle[] = [];
  private accepting = false;
  /** Listening on every copy (a queue was seen within quietMs), else on IDLE_ACCEPTORS. */
  private pouring = false;
  private acceptedThisTurn = 0;
  private lastQueueAt = 0;
  private quietCheck: NodeJS.Timeout | null = null;
  /** Where accepted connections go once the HTTP app is up (http/connections.ts). */
  private serveConnection: ((socket: net.Socket) => void) | null = null;
  /** Connections accepted before the HTTP app was up, each with its deadline. */
  private readonly held = new Map<net.Socket, NodeJS.Timeout>();
  private open = 0;
  private reportQueued = false;
  private stopped = false;

  /**
   * Starts listening for the primary's messages: call before anything slow (Redis, engines).
   * After `quietMs` without a turn that took IDLE_ACCEPTORS or more, the worker goes back to
   * IDLE_ACCEPTORS (ACCEPT_QUIET_MS); a connection accepted before the worker is ready waits
   * `notReadyWaitMs` for it before a 503 (NOT_READY_WAIT_MS).
   */
  constructor(
    private readonly logger: Logger,
    private readonly timing: { quietMs: number; notReadyWaitMs: number },
  ) {
    process.on('message', (message: { type?: string }, handle?: unknown) => {
      if (message?.type === LISTEN && handle) this.keep(handle as SocketHandle);
      else if (message?.type === ACCEPT) this.resume();
      else if (message?.type === PAUSE) this.pause();
    });
    // The first report tells the primary this worker can take the socket: sent now, before READY.
    this.sendReport();
    this.askForCopies();
  }

  /** The HTTP app is up: held connections go to it, and so does every new one. */
  serve(serveConnection: (socket: net.Socket) => void): void {
    this.serveConnection = serveConnection;
    for (const [socket, deadline] of this.held) {
      clearTimeout(deadline);
      this.handOver(socket);
    }
    this.held.clear();
    process.send?.({ type: READY });
  }

  /** Stops accepting (the other workers take the new connections); held ones get a 503. */
  close(): void {
    this.stopped = true;
    if (this.quietCheck) clearInterval(this.quietCheck);
    this.pause();
    for (const spare of this.spares.splice(0)) spare.close();
    this.askForCopies();
    for (const [socket, deadline] of this.held) {
      clearTimeout(deadline);
      this.refuse(socket);
    }
    this.held.clear();
  }

  /** Copies it wants to hold: one set to accept from while accepting, and a spare set for after a pause. */
  private get copiesWanted(): number {
    if (this.stopped) return 0;
    return this.accepting ? 2 * ACCEPTORS_PER_WORKER : ACCEPTORS_PER_WORKER;
  }

  private askForCopies(): void {
    const copies = Math.max(0, this.copiesWanted - this.acceptors.length - this.spares.length);
    const want: WantMessage = { type: WANT, copies };
    if (process.connected) process.send?.(want);
  }

  /** A copy from the primary: accepted from at once while accepting, else kept as a spare. */
  private keep(handle: SocketHandle): void {
    if (this.acceptors.length + this.spares.length >= this.copiesWanted) {
      // One more than it wants (sent before its last WANT arrived, or stopping): only this descriptor closes.
      handle.close();
    } else if (this.accepting && this.acceptors.length < this.listenTarget) this.listen(handle);
    else this.spares.push(handle);
  }

  private resume(): void {
    if (this.stopped || this.accepting) return;
    this.accepting = true;
    this.listenOnSpares();
    this.askForCopies();
  }

  private get listenTarget(): number {
    return this.pouring ? ACCEPTORS_PER_WORKER : IDLE_ACCEPTORS;
  }

  private listenOnSpares(): void {
    while (this.acceptors.length < this.listenTarget && this.spares.length > 0) this.listen(this.spares.pop()!);
  }

  /**
   * After the turn's accepts: as many as the few idle copies take in a turn means connections are
   * queued, so listen on all (and stay on all while turns keep taking that many: judged by the
   * 64 copies instead, a steady stream of joins flapped between 4 and 64, 60 copies refilled each time).
   */
  private afterTurn(): void {
    const few = Math.min(this.acceptors.length, IDLE_ACCEPTORS);
    const queued = few > 0 && this.acceptedThisTurn >= few;
    this.acceptedThisTurn = 0;
    if (!queued) return;
    this.lastQueueAt = performance.now();
    if (this.pouring || !this.accepting) return;
    this.pouring = true;
    this.listenOnSpares();
    this.logger.info('connections are queuing: accepting from every copy of the socket', { copies: this.acceptors.length });
    this.quietCheck = setInterval(() => this.quietDown(), this.timing.quietMs / 5);
    this.quietCheck.unref();
  }

  private quietDown(): void {
    if (performance.now() - this.lastQueueAt < this.timing.quietMs) return;
    this.pouring = false;
    if (this.quietCheck) clearInterval(this.quietCheck);
    this.quietCheck = null;
    for (const acceptor of this.acceptors.splice(IDLE_ACCEPTORS)) acceptor.close();
    this.logger.info('connections trickle again: accepting from a few copies of the socket', { copies: this.acceptors.length });
    // What it closed comes back as spares.
    this.askForCopies();
  }

  private listen(handle: SocketHandle): void {
    const acceptor = net.createServer({ pauseOnConnect: true, highWaterMark: PLAYER_WRITE_AHEAD_BYTES }, (socket) =>
      this.take(socket),
    );
    // A failed accept (the socket is bound and checked by the primary): the others go on.
    acceptor.on('error', (err) => this.logger.error('accepting a connection failed', { error: err.message }));
    acceptor.listen(handle, ACCEPT_BACKLOG);
    this.acceptors.push(acceptor);
  }

  /** Closes the copies it accepts from: the socket stays open in the primary and the other workers. */
  private pause(): void {
    const wasAccepting = this.accepting;
    this.accepting = false;
    for (const acceptor of this.acceptors.splice(0)) acceptor.close();
    if (wasAccepting) this.askForCopies();
  }

  private take(socket: net.Socket): void {
    if (this.acceptedThisTurn++ === 0) setImmediate(() => this.afterTurn());
    this.open++;
    socket.once('close', () => {
      this.open--;
      this.report();
    });
    this.report();
    if (this.serveConnection) this.handOver(socket);
    else this.hold(socket);
  }

  private handOver(socket: net.Socket): void {
    this.serveConnection!(socket);
    socket.resume();
  }

  // A player kept waiting with no answer would hang until its own timeout: after a while it gets
  // a 503 with Retry-After, which players and IPTV managers retry.
  private hold(socket: net.Socket): void {
    const deadline = setTimeout(() => {
      if (!this.held.delete(socket)) return;
      this.logger.warn('worker not ready: answered 503', { waited_ms: this.timing.notReadyWaitMs });
      this.refuse(socket);
    }, this.timing.notReadyWaitMs);
    deadline.unref();
    this.held.set(socket, deadline);
  }

  private refuse(socket: net.Socket): void {
    refuse(socket, NOT_READY);
  }

  /**
   * The open-connection count, at most once per REPORT_EVERY_MS however many connections came and
   * went: in a kick-off, a message per event-loop turn cost the worker and the primary more than
   * the balance needs.
   */
  private report(): void {
    if (this.reportQueued) return;
    this.reportQueued = true;
    setTimeout(() => {
      this.reportQueued = false;
      this.sendReport();
    }, REPORT_EVERY_MS).unref();
  }

  private sendReport(): void {
    const load: LoadMessage = { type: LOAD, connections: this.open };
    if (process.connected) process.send?.(load);
  }
}
