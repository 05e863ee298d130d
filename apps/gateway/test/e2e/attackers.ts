// Hostile clients for the abuse tests (issue 20): raw sockets that pipeline, drip headers, idle,
// or never read, each from a loopback address of its choice, and a worker's memory to judge them by.

import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface Probe {
  socket: net.Socket;
  /** performance.now() when connected. */
  openedAt: number;
  /** performance.now() when the gateway closed it (NaN while open). */
  closedAt: number;
  /** What came back, as text (its first 4 KB or so: heads, not bodies). */
  received: string;
  /** How many bytes came back. */
  bytes: number;
}

/** A raw connection to `url`'s host from `localAddress` (any 127/8 address: another client). */
export function open(url: string, onConnect: (socket: net.Socket) => void = () => {}, localAddress?: string): Promise<Probe> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: Number(port), host: hostname, localAddress });
    const probe: Probe = { socket, openedAt: 0, closedAt: Number.NaN, received: '', bytes: 0 };
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      probe.bytes += data.length;
      // Only the head matters to the tests; a stream's body is dropped.
      if (probe.received.length < 4096) probe.received += data;
    });
    socket.on('close', () => {
      probe.closedAt = performance.now();
    });
    socket.once('connect', () => {
      probe.openedAt = performance.now();
      onConnect(socket);
      resolve(probe);
    });
    socket.once('error', reject);
    // A reset once open only closes it.
    socket.on('error', () => {});
  });
}

/** Sends `paths` as GETs pipelined in one write on one connection. */
export function pipelined(url: string, paths: string[], localAddress?: string): Promise<Probe> {
  const { host } = new URL(url);
  return open(url, (socket) => socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`).join('')), localAddress);
}

/** Sends a header line every 500 ms and never ends the headers. */
export function slowloris(url: string, localAddress?: string): Promise<Probe> {
  return open(
    url,
    (socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 500);
      socket.once('close', () => clearInterval(drip));
    },
    localAddress,
  );
}

/** One request answered, then nothing: the connection is kept alive and idle. */
export function keptAlive(url: string, localAddress?: string): Promise<Probe> {
  return open(url, (socket) => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'), localAddress);
}

/** Sends one GET of `path` with `userAgent`, then never reads (the socket is never put in flowing mode). */
export function silentClient(port: number, path: string, userAgent: string, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: ${userAgent}\r\n\r\n`);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves once `socket` is closed (closing it first). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
    socket.destroy();
  });
}

/** Resident memory of a process, bytes. */
export function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** The worker processes of a gateway's primary (node:cluster forks them as its children). */
export function workerPids(primaryPid: number): number[] {
  const children = readFileSync(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8').trim();
  return children === '' ? [] : children.split(/\s+/).map(Number);
}
