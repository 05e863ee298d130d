// EngineClient over real sockets: the API deadline, and kept-alive connections per engine.

import http from 'node:http';
import net from 'node:net';
import { EngineClient, EngineError } from '@acestream-proxy/engine';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MAX_ANSWER_BYTES } from '../src/client.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

describe('EngineClient', () => {
  it('gives up on an engine that accepts and never answers after the API deadline, as engine_timeout', async () => {
    const sockets: net.Socket[] = [];
    const port = await listen(net.createServer((socket) => sockets.push(socket)));
    closers.push(() => {
      for (const s of sockets) s.destroy();
    });
    const client = new EngineClient({ host: '127.0.0.1', port }, { apiTimeoutMs: 300, playbackTimeoutMs: 30_000 });
    closers.push(() => client.close());
    const started = performance.now();
    const error = await client.version().catch((err: unknown) => err);
    const ms = performance.now() - started;
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('engine_timeout');
    expect((error as EngineError).message).toContain('did not answer within 300 ms');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(3000);
  });

  it('reuses one kept-alive connection for calls one after another', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: { version: '3.1.5' }, error: null }));
    });
    server.on('connection', () => connections++);
    const port = await listen(server);
    closers.push(() => server.closeAllConnections());
    const client = new EngineClient({ host: '127.0.0.1', port });
    closers.push(() => client.close());
    for (let n = 0; n < 5; n++) expect(await client.version()).toBe('3.1.5');
    expect(connections).toBe(1);
  });

  it('stops reading an API answer past MAX_ANSWER_BYTES: a 200 MB getstream answer is not held, nor read whole', async () => {
    let written = 0;
    const server = http.createServer(async (_req, res) => {
      const head = '{"response":{"playback_url":"http://127.0.0.1:1/x"},"error":null,"padding":"';
      const size = 200 * 2 ** 20;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': size });
      res.write(head);
      const piece = Buffer.alloc(64 * 1024, 0x78);
      for (written = head.length; written < size - 2 && !res.destroyed; written += piece.length) {
        if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      if (!res.destroyed) res.end('"}');
    });
    const port = await listen(server);
    closers.push(() => server.closeAllConnections());
    const client = new EngineClient({ host: '127.0.0.1', port }, { apiTimeoutMs: 10_000 });
    closers.push(() => client.close());
    const error = await client.startSession('a'.repeat(40)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('engine_bad_response');
    expect((error as EngineError).message).toContain(`getstream answered more than ${MAX_ANSWER_BYTES} bytes`);
    // What the engine got to write: the cap plus what socket buffers took, not 200 MB.
    expect(written).toBeLessThan(32 * 2 ** 20);
  });

  it("cuts an engine's long error text before it is shown", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response: null, error: `no such content ${'x'.repeat(50_000)}` }));
    });
    const port = await listen(server);
    closers.push(() => server.closeAllConnections());
    const client = new EngineClient({ host: '127.0.0.1', port });
    closers.push(() => client.close());
    const error = (await client.startSession('a'.repeat(40)).catch((err: unknown) => err)) as EngineError;
    expect(error.code).toBe('engine_refused');
    expect(error.reason.startsWith('no such content xxx')).toBe(true);
    expect(error.reason.length).toBeLessThanOrEqual(340);
    expect(error.reason).toContain('more characters)');
    expect(error.message.length).toBeLessThan(400);
  });
});
