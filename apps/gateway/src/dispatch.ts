// Who accepts connections in a node:cluster gateway. The primary binds the listening socket and
// gives each worker a copy; workers accept from it themselves, so a flash crowd costs no IPC per
// connection (handing each connection over from the primary moved one socket per IPC round trip,
// a few hundred a second). The primary still chooses which workers accept: a worker with more
// open connections than the least loaded one closes its copy until the others catch up, so the
// players of a crashed worker, reconnecting, fill its restarted replacement.

import dns from 'node:dns/promises';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { ProxyConfig } from '@acestream-proxy/config';

/** Primary → worker, with a copy of the listening socket: accept from it (sent ACCEPTORS_PER_WORKER times). */
export const LISTEN = 'acestream-proxy:listen';
/** Primary → worker: close your copy, you have more than your share of connections. */
export const PAUSE = 'acestream-proxy:pause';
/** Worker → primary: its open connections, sent when the number changes (every 20 ms at most). */
export const LOAD = 'acestream-proxy:load';
/** Worker → primary: its HTTP app is up (before, it holds the connections it accepts). */
export const READY = 'acestream-proxy:ready';

export interface LoadMessage {
  type: typeof LOAD;
  connections: number;
}

/**
 * Copies of the listening socket each worker accepts from. Node 20's libuv accepts one connection
 * per listening descriptor per turn of the event loop, and a worker writing to a thousand players
 * turns its loop only tens to a couple of hundred times a second: with one copy a kick-off waited
 * seconds in the kernel's accept queue (measured: ~300 accepts/s per worker with the queue at
 * 1,600). Each copy is its own descriptor, polled on its own, so a turn takes up to this many.
 */
export const ACCEPTORS_PER_WORKER = 16;

/**
 * A kick-off brings thousands of connections within a second: a deep accept queue (the kernel
 * caps it at net.core.somaxconn) keeps them from being dropped and retried a second later.
 */
export const ACCEPT_BACKLOG = 4096;

/**
 * A worker may have this share more connections than the least loaded one before it stops
 * accepting, and starts again once within half of it: none among a few players (least connections
 * exactly), some slack in a storm so the workers do not take turns closing and reopening their
 * copies.
 */
const MARGIN_SHARE = 0.1;

/** The listening socket's handle, as node's cluster passes it between processes. */
export type SocketHandle = object & { close(): void };

/**
 * Binds HOST:PORT without listening: the first worker's listen() puts the socket into the listen
 * state, and the primary never polls it (it would take its share of connections and have to hand
 * them over one by one). The primary's copy keeps the socket listening while every worker is
 * dead: connections then wait in the kernel's queue for the restarted worker. This is how
 * node:cluster's SCHED_NONE policy shares a socket, except that the primary keeps the socket for
 * its whole life (node's closes it when the last worker goes, refusing players until one is back).
 */
export async function bindSharedSocket(
  config: Pick<ProxyConfig, 'port' | 'host'>,
): Promise<{ handle: SocketHandle; port: number }> {
  const { address, family } = net.isIP(config.host)
    ? { address: config.host, family: net.isIP(config.host) }
    : await dns.lookup(config.host);
  // node's own helper for SCHED_NONE (exported, not documented): a bound TCP handle or an errno.
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = create(address, config.port, family, undefined, 0);
  if (typeof handle === 'number') throw errnoError(handle, 'bind');
  const name: { port?: number } = {};
  handle.getsockname(name);
  // libuv keeps a bind's EADDRINUSE for the listen, which happens in the workers, on a copy that
  // does not carry the error (it would listen on a random port): an unbound socket tells it here.
  if (config.port !== 0 && name.port !== config.port) {
    handle.close();
    throw Object.assign(new Error(`bind EADDRINUSE ${address}:${config.port}`), { code: 'EADDRINUSE', syscall: 'bind' });
  }
  return { handle, port: name.port ?? config.port };
}

type CreateServerHandle = (
  address: string,
  port: number,
  addressType: number,
  fd: undefined,
  flags: number,
) => (SocketHandle & { getsockname(out: { port?: number }): number }) | number;

function errnoError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}

/**
 * Decides which workers accept: the ready ones whose open connections are within the margin of
 * the least loaded ready one; while no worker is ready, every live one (it holds what it accepts
 * until it is ready, then answers, or answers 503 not_ready). `tell` is called on every change.
 */
export class AcceptBalancer<W> {
  private readonly workers = new Map<W, { load: number; ready: boolean }>();
  private readonly accepting = new Set<W>();

  constructor(private readonly tell: (worker: W, accept: boolean) => void) {}

  /** A worker's open connections (its first report says it is listening for our messages). */
  report(worker: W, connections: number): void {
    const entry = this.workers.get(worker);
    if (entry) entry.load = connections;
    else this.workers.set(worker, { load: connections, ready: false });
    this.rebalance();
  }

  /**
   * Its HTTP app is up. This may come before its first report: a worker whose set-up took less
   * than a report's delay was otherwise never let accept (all of a storm went to the other one).
   */
  ready(worker: W): void {
    const entry = this.workers.get(worker);
    if (entry?.ready) return;
    if (entry) entry.ready = true;
    else this.workers.set(worker, { load: 0, ready: true });
    this.rebalance();
  }

  /** A worker died or is stopping. */
  remove(worker: W): void {
    this.workers.delete(worker);
    this.accepting.delete(worker);
    this.rebalance();
  }

  isAccepting(worker: W): boolean {
    return this.accepting.has(worker);
  }

  private rebalance(): void {
    const anyReady = [...this.workers.values()].some((w) => w.ready);
    const eligible = [...this.workers].filter(([, w]) => w.ready || !anyReady);
    const least = Math.min(...eligible.map(([, w]) => w.load));
    const margin = Math.floor(least * MARGIN_SHARE);
    const changes: Array<[W, boolean]> = [];
    for (const [worker, entry] of this.workers) {
      const limit = least + (this.accepting.has(worker) ? margin : Math.floor(margin / 2));
      const accept = (entry.ready || !anyReady) && entry.load <= limit;
      if (accept !== this.accepting.has(worker)) changes.push([worker, accept]);
    }
    // Those that start accepting first, so the socket is never left without a worker polling it.
    changes.sort(([, a], [, b]) => Number(b) - Number(a));
    for (const [worker, accept] of changes) {
      if (accept) this.accepting.add(worker);
      else this.accepting.delete(worker);
      this.tell(worker, accept);
    }
  }
}
