// The status feed's watchers (status/watchers.ts) on real sockets: one that never reads is dropped
// once its writes have waited past the stall time; one that reads stays and keeps getting events.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Watchers } from '../src/status/watchers.js';

const STALL_MS = 1000;
/** Large events fill a non-reading socket's kernel buffers within a few sends. */
const EVENT = `data: ${'x'.repeat(2 ** 20)}\n\n`;

describe('status feed watchers', () => {
  const watchers = new Watchers(STALL_MS);
  let server: http.Server;
  let port: number;
  const gone: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      watchers.add(res, () => gone.push(String(req.headers['user-agent'])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function connect(agent: string): net.Socket {
    const socket = net.connect(port, '127.0.0.1');
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${agent}\r\n\r\n`);
    return socket;
  }

  it('drops the watcher that never reads once its writes waited past the stall time, and keeps the reader', async () => {
    const silent = connect('silent');
    const reader = connect('reader');
    let read = 0;
    reader.on('data', (data: Buffer) => {
      read += data.length;
    });
    await waitFor(() => watchers.size === 2, { what: 'both watchers to connect', timeoutMs: 5000 });

    await waitFor(
      () => {
        watchers.send(EVENT);
        return gone.includes('silent');
      },
      { what: 'the silent watcher to be dropped', timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(gone).toEqual(['silent']);
    expect(watchers.size).toBe(1);
    const before = read;
    await waitFor(
      () => {
        watchers.send('data: still here\n\n');
        return read > before;
      },
      { what: 'the reader to get a later event', timeoutMs: 5000, intervalMs: 50 },
    );
    silent.destroy();
    reader.destroy();
  });
});
