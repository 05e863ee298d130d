// Reading an engine's playback response: PROXY_CHUNK_SIZE pieces, and only TS packets count as data.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineClient, type EngineSession } from '@acestream-proxy/engine';
import { TsAligner } from '@acestream-proxy/ts';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type PlaybackReadOptions, readPlayback } from '../src/owner/playback-reader.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An engine whose playback URL runs `serve`; returns the response of a fresh read of it. */
async function playback(serve: (res: http.ServerResponse) => void, highWaterMark: number): Promise<http.IncomingMessage> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    serve(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const engine = new EngineClient({ host: '127.0.0.1', port });
  closers.push(() => engine.close());
  const session: EngineSession = {
    engine: engine.address,
    playerId: 'p',
    playbackUrl: `http://127.0.0.1:${port}/ace/r/x`,
    statUrl: '',
    commandUrl: '',
    infohash: 'x',
    playbackSessionId: 's',
    isLive: true,
  };
  const abort = new AbortController();
  closers.push(() => abort.abort());
  return engine.openPlayback(session, abort.signal, { highWaterMark });
}

function packets(n: number): Buffer {
  const out = Buffer.alloc(n * 188, 0xff);
  for (let p = 0; p < n; p++) out.set([0x47, 0x01, 0x00, 0x10], p * 188);
  return out;
}

function options(overrides: Partial<PlaybackReadOptions>): PlaybackReadOptions {
  return {
    initTimeoutMs: 5000,
    noDataTimeoutMs: 5000,
    readChunkSize: 8192,
    aligner: new TsAligner(),
    onRead: () => {},
    onPackets: () => {},
    onFirstPackets: () => {},
    ...overrides,
  };
}

describe('reading a playback response', () => {
  it('takes the engine bytes in pieces of at most PROXY_CHUNK_SIZE, all of them', async () => {
    const sent = packets(2000); // 376,000 bytes in one write: the socket hands over up to 64 KB at a time
    const res = await playback((r) => r.end(sent), 1000);
    const pieces: number[] = [];
    let packetBytes = 0;
    const outcome = await readPlayback(
      res,
      options({
        readChunkSize: 1000,
        onRead: (piece) => pieces.push(piece.length),
        onPackets: (p) => {
          packetBytes += p.length;
        },
      }),
    );
    expect(outcome.kind).toBe('ended');
    expect(Math.max(...pieces)).toBeLessThanOrEqual(1000);
    expect(pieces.length).toBeGreaterThanOrEqual(sent.length / 1000);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(sent.length);
    expect(packetBytes).toBe(sent.length);
  });

  it('leaves an engine that sends bytes but no TS packets after PROXY_NO_DATA_TIMEOUT, as if silent', async () => {
    let garbageFrom = 0;
    const res = await playback((r) => {
      r.write(packets(20));
      // Then an HTML page, over and over, for as long as the connection lives.
      setTimeout(() => {
        garbageFrom = Date.now();
        const timer = setInterval(() => r.write('<html><body>503 busy</body></html>\n'.repeat(50)), 20);
        r.once('close', () => clearInterval(timer));
      }, 100);
    }, 8192);
    let first = 0;
    const outcome = await readPlayback(res, options({ noDataTimeoutMs: 400, onFirstPackets: () => first++ }));
    const afterGarbageMs = Date.now() - garbageFrom;
    expect(first).toBe(1);
    expect(outcome.kind).toBe('timeout');
    expect(outcome.detail).toMatch(/bytes but no TS packets from the engine for 400 ms/);
    expect(afterGarbageMs).toBeGreaterThanOrEqual(300);
    expect(afterGarbageMs).toBeLessThan(1500);
  }, 10_000);

  it('waits PROXY_INIT_TIMEOUT for the first byte, then only PROXY_NO_DATA_TIMEOUT for packets', async () => {
    const started = Date.now();
    // Prebuffering for 300 ms (longer than the no-data deadline), then non-TS bytes only, on and on.
    const res = await playback((r) => {
      let timer = setTimeout(function more() {
        r.write('not a transport stream');
        timer = setTimeout(more, 50);
      }, 300);
      r.once('close', () => clearTimeout(timer));
    }, 8192);
    const outcome = await readPlayback(res, options({ initTimeoutMs: 2000, noDataTimeoutMs: 200 }));
    const ms = Date.now() - started;
    expect(outcome.kind).toBe('timeout');
    expect(outcome.detail).toContain('no TS packets');
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(1500);
  }, 10_000);
});
