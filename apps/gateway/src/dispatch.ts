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

export interface ConnectionMessage {
  type: typeof CONNECTION;
  id: number;
}
export interface TakenMessage {
  type: typeof TAKEN;
  id: number;
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
  /** Connections that arrived while no worker was ready. */
  private waiting: net.Socket[] = [];

  constructor(private readonly logger: Logger) {}

  /** A worker's HTTP server is up: it takes connections from now on. */
  addWorker(worker: Worker): void {
    if (this.ready.includes(worker)) return;
    this.ready.push(worker);
    this.pending.set(worker, new Map());
    this.load.set(worker, 0);
    for (const socket of this.waiting.splice(0)) this.dispatch(socket);
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

  /** The worker has the connection: the primary's copy can go. */
  taken(worker: Worker, id: number): void {
    const socket = this.pending.get(worker)?.get(id);
    if (!socket) return;
    this.pending.get(worker)!.delete(id);
    // Closes only the primary's descriptor; the connection lives on in the worker.
    socket.destroy();
  }

  dispatch(socket: net.Socket): void {
    if (socket.destroyed) return;
    const worker = this.nextWorker();
    if (!worker) {
      this.waiting.push(socket);
      return;
    }
    const id = ++this.lastId;
    this.pending.get(worker)!.set(id, socket);
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    const message: ConnectionMessage = { type: CONNECTION, id };
    worker.send(message, socket, { keepOpen: true }, (err: Error | null) => {
      if (!err) return;
      // The channel closed under us: the worker is going away; removeWorker hands it on.
      if (this.pending.get(worker)?.delete(id)) this.dispatch(socket);
    });
  }

  /** Stops taking connections: closes those not yet handed to a worker. */
  close(): void {
    for (const socket of this.waiting.splice(0)) socket.destroy();
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
