// Who accepts connections in a node:cluster gateway. The primary binds the listening socket and
// gives each worker copies of it; workers accept from them themselves, so a flash crowd costs no
// IPC per connection (handing each connection over from the primary moved one socket per IPC round
// trip, a few hundred a second). The primary still chooses which workers accept: a worker with more
// open connections than the least loaded one stops accepting until the others catch up, so the
// players of a crashed worker, reconnecting, fill its restarted replacement (accept-balancer.ts).
//
// Stopping means closing the copies it listens on (libuv cannot stop polling a listening socket
// otherwise), and a copy comes back only over IPC, one per round trip (node waits for the
// worker's acknowledgement of each handle before it sends anything else, a turn of a busy
// worker's event loop). So a worker also holds copies it does not listen on, and starts again on
// those at once; the primary refills them one at a time, so that a PAUSE or an ACCEPT never waits
// behind a queue of copies (with 64 copies sent per start, a PAUSE arrived seconds late in a storm
// and one worker took 60% of it).

import dns from 'node:dns/promises';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { ProxyConfig } from '@acestream-proxy/config';

/** Primary → worker, with a copy of the listening socket: hold it (listen on it while accepting). */
export const LISTEN = 'acestream-proxy:listen';
/** Primary → worker: start accepting, on the copies you hold. */
export const ACCEPT = 'acestream-proxy:accept';
/** Primary → worker: stop accepting (close the copies you listen on), you have more than your share. */
export const PAUSE = 'acestream-proxy:pause';
/** Worker → primary: its open connections, sent when the number changes (every 20 ms at most). */
export const LOAD = 'acestream-proxy:load';
/** Worker → primary: how many more copies of the socket it wants (the primary sends them one at a time). */
export const WANT = 'acestream-proxy:want';
/** Worker → primary: its HTTP app is up (before, it holds the connections it accepts). */
export const READY = 'acestream-proxy:ready';

export interface LoadMessage {
  type: typeof LOAD;
  connections: number;
}

export interface WantMessage {
  type: typeof WANT;
  copies: number;
}

/**
 * Copies of the listening socket a worker accepts from (and as many more it holds to start again
 * on). Node 20's libuv accepts one connection per listening descriptor per turn of the event loop,
 * and a worker writing to a thousand players turns its loop only tens of times a second in a storm
 * (a turn flushes every socket that became writable: 30–50 ms at 1,000 players × 8 Mbit/s). With
 * one copy a kick-off waited seconds in the kernel's accept queue (~300 accepts/s per worker with
 * the queue at 1,600); with 16 the first players of a 2,000 storm still waited 0.3 s in it. Each
 * copy is its own descriptor, polled on its own, so a turn takes up to this many; each held copy
 * costs a file descriptor of the worker's limit (`ulimit -n`), twice this many in all.
 */
export const ACCEPTORS_PER_WORKER = 64;

/**
 * A kick-off brings thousands of connections within a second: a deep accept queue (the kernel
 * caps it at net.core.somaxconn) keeps them from being dropped and retried a second later.
 */
export const ACCEPT_BACKLOG = 4096;

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
