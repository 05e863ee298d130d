// A worker's HTTP server, the one place a request is routed: a player's GET of a stream or of an
// HLS session's file goes straight to its handler (the fast paths), everything else to the Express app. Requests
// pipelined behind a stream wait their turn (in-turn.ts), and every connection comes in through
// the gate (connection budget, header/body/idle deadlines), whoever accepted it.

import http from 'node:http';
import type { GatewayContext } from '../context.js';
import { getStream } from '../routes/getstream.js';
import { getHlsFileFast, hlsFileOf } from '../routes/hls.js';
import { createApp } from './app.js';
import { ConnectionGate, connectionBudget } from './connections.js';
import { inTurn } from './in-turn.js';
import { playerGate } from './player-routes.js';

const STREAM_PATH = '/ace/getstream';

/**
 * A GET the fast path serves: exactly the path, with or without a query (others go to the app).
 * At a kick-off thousands of joins a second come through it, and Express's routing, request and
 * response decoration cost ~20% of a join's CPU (joins bench; docs/decisions/0001).
 */
export function isStreamRequest(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'GET' || url === undefined || !url.startsWith(STREAM_PATH)) return false;
  return url.length === STREAM_PATH.length || url.charCodeAt(STREAM_PATH.length) === 63; // '?'
}

/** The server behind its gate: hand it accepted sockets (`admit`); `close` ends every connection. */
export function createHttpServer(ctx: GatewayContext): ConnectionGate {
  const { config } = ctx;
  const app = createApp(ctx);
  const stream = getStream(ctx);
  const hlsFile = getHlsFileFast(ctx);
  // AUTH=token: player routes are authenticated (and `/u/<token>` taken off) before routing.
  const route = inTurn(
    playerGate(ctx.accounts, (req, res) => {
      if (isStreamRequest(req.method, req.url)) {
        void stream(req, res);
        return;
      }
      // HLS players' reloads and segments: the other request every player makes all the time.
      const file = hlsFileOf(req.method, req.url);
      if (file) hlsFile(req, res, file);
      else app(req, res);
    }),
  );
  const server = http.createServer((req, res) => {
    gate.deadlines.onRequest(req, res);
    route(req, res);
  });
  // The HTTP server never listens, in any mode: every connection comes through the gate.
  const gate = new ConnectionGate(
    server,
    { headersMs: config.headersTimeout * 1000, bodyMs: config.bodyTimeout * 1000, idleMs: config.idleTimeout * 1000 },
    connectionBudget(config.maxConnections),
    ctx.logger,
  );
  return gate;
}
