// The cluster primary's listening socket. Each connection goes to the ready worker with the
// fewest open connections (players are long-lived: a restarted worker takes the next ones), and
// the primary keeps its copy until that worker confirms it took it: a worker that dies first gets
// its connections handed to another one. (node:cluster's own round robin leaves a connection
// sent to a dying worker open in the primary for ever: the player hangs instead of playing.)

import type { Worker } from 'node:cluster';
import type net from 'node:net';
import type { Logger } from '@acestream-proxy/stream';

/** Messages between the primary and its workers about connections. */
export const CONNECTION = 'acestream-proxy:connection';
export const TAKEN = 'acestream-proxy:taken';
export const READY = 'acestream-proxy:ready';
export const LOAD = 'acestream-proxy:load';

/** How long a connection waits for a ready worker (all starting or restarting) before a 503. */
const NO_WORKER_WAIT_MS = 5000;

const NOT_READY_BODY = JSON.stringify({
  error: 'not_ready',
  message: 'no gateway worker is ready yet (they are starting, or waiting for Redis at REDIS_URL); retry shortly',
});
const NOT_READY = [
  'HTTP/1.1 503 Service Unavailable',
  'Content-Type: application/json; charset=utf-8',
  'Retry-After: 5',
  'Connection: close',
  `Content-Length: ${Buffer.byteLength(NOT_READY_BODY)}`,
  '',
  NOT_READY_BODY,
].join('\r\n');

export interface ConnectionMessage {
  type: typeof CONNECTION;
  id: number;
}
/** The connections a worker took in one tick (one message, not one per connection), and its count after. */
export interface TakenMessage {
  type: typeof TAKEN;
  ids: number[];
  connections: number;
}
/** A worker's open connections, sent when the number changes. */
export interface LoadMessage {
  type: typeof LOAD;
  connections: number;
}

export class ConnectionDispatcher {
  private readonly ready: Worker[] = [];
  /** Open connections per worker, as it last reported plus those sent since. */
  private readonly load = new Map<Worker, number>();
  private turn = 0;
  private lastId = 0;
  /** Connections sent to each worker that it has not confirmed yet. */
  private readonly pending = new Map<Worker, Map<number, net.Socket>>();
  /** Connections that arrived while no worker was ready, each with its deadline. */
  private readonly waiting = new Map<net.Socket, NodeJS.Timeout>();

  constructor(private readonly logger: Logger) {}

  /** A worker's HTTP server is up: it takes connections from now on. */
  addWorker(worker: Worker): void {
    if (this.ready.includes(worker)) return;
    this.ready.push(worker);
    this.pending.set(worker, new Map());
    this.load.set(worker, 0);
    for (const [socket, deadline] of [...this.waiting]) {
      clearTimeout(deadline);
      this.waiting.delete(socket);
      this.dispatch(socket);
    }
  }

  /** A worker died or is stopping: what it had not taken goes to the others. */
  removeWorker(worker: Worker): void {
    const at = this.ready.indexOf(worker);
    if (at >= 0) this.ready.splice(at, 1);
    this.load.delete(worker);
    const orphans = this.pending.get(worker);
    this.pending.delete(worker);
    if (orphans && orphans.size > 0) {
      this.logger.warn('handing connections of a dead worker to another', { connections: orphans.size });
      for (const socket of orphans.values()) this.dispatch(socket);
    }
  }

  reportLoad(worker: Worker, connections: number): void {
    if (this.load.has(worker)) this.load.set(worker, connections);
  }

  /** The worker has these connections: the primary's copies can go. */
  taken(worker: Worker, ids: number[]): void {
    const pending = this.pending.get(worker);
    if (!pending) return;
    for (const id of ids) {
      const socket = pending.get(id);
      if (!socket) continue;
      pending.delete(id);
      // Closes only the primary's descriptor; the connection lives on in the worker.
      socket.destroy();
    }
  }

  dispatch(socket: net.Socket): void {
    if (socket.destroyed) return;
    const worker = this.nextWorker();
    if (!worker) {
      this.wait(socket);
      return;
    }
    const id = ++this.lastId;
    this.pending.get(worker)!.set(id, socket);
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    const message: ConnectionMessage = { type: CONNECTION, id };
    worker.send(message, socket, { keepOpen: true }, (err: Error | null) => {
      if (!err) return;
      // The channel closed under us (the worker is going away): another worker takes it now.
      if (this.pending.get(worker)?.delete(id)) this.dispatch(socket);
    });
  }

  /** Stops taking connections: closes those not yet handed to a worker. */
  close(): void {
    for (const [socket, deadline] of this.waiting) {
      clearTimeout(deadline);
      socket.destroy();
    }
    this.waiting.clear();
  }

  // A player kept waiting with no answer would hang until its own timeout: after a while it gets
  // a 503 with Retry-After, which players and IPTV managers retry.
  private wait(socket: net.Socket): void {
    const deadline = setTimeout(() => {
      if (!this.waiting.delete(socket)) return;
      this.logger.warn('no worker ready: answered 503', { waited_ms: NO_WORKER_WAIT_MS });
      // Read (and drop) the request so that closing sends FIN, not a reset.
      socket.on('error', () => {});
      socket.resume();
      socket.end(NOT_READY);
    }, NO_WORKER_WAIT_MS);
    deadline.unref();
    this.waiting.set(socket, deadline);
  }

  /** The least loaded live worker; among equals, the next in turn. */
  private nextWorker(): Worker | undefined {
    const live = this.ready.filter((w) => w.isConnected());
    if (live.length === 0) return undefined;
    this.turn = (this.turn + 1) % live.length;
    let best: Worker | undefined;
    for (let i = 0; i < live.length; i++) {
      const worker = live[(this.turn + i) % live.length]!;
      if (!best || this.load.get(worker)! < this.load.get(best)!) best = worker;
    }
    return best;
  }
}
