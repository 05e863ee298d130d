// One gateway process serving HTTP: backends, the Express app, and a graceful stop on signals.

import cluster from 'node:cluster';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { createApp } from './app.js';
import { SharedSocketAcceptor } from './cluster/acceptor.js';
import { createContext } from './context.js';
import { ConnectionGate, connectionBudget } from './http/connections.js';
import { inTurn } from './http/in-turn.js';
import { exitOnListenError } from './http/listen-error.js';
import { getStream, isStreamRequest } from './routes/getstream.js';

/** How long a stopping worker waits for engines and Redis before it exits anyway. */
const WORKER_STOP_DEADLINE_MS = 7_000;

export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}

export async function runWorker(config: ProxyConfig, logger: Logger): Promise<void> {
  const id = workerId();
  // Forked by our primary: accept from its shared socket, holding connections until the app is
  // up (see cluster/shared-socket.ts). Under pm2 (or alone) the process listens itself.
  const acceptor =
    cluster.isWorker && process.env.ACESTREAM_PROXY_SHARED_SOCKET === '1' ? new SharedSocketAcceptor(logger) : null;
  const ctx = await createContext(config, id, logger).catch((err: Error) => {
    logger.error('cannot start', { error: err.message });
    process.exit(1);
  });
  const app = createApp(ctx);
  const stream = getStream(ctx);
  // A player's GET of a stream skips Express (the hot path of a flash crowd; see getstream.ts).
  const route = inTurn((req, res) => {
    if (isStreamRequest(req.method, req.url)) void stream(req, res);
    else app(req, res);
  });
  const server = http.createServer((req, res) => {
    gate.deadlines.onRequest(req, res);
    route(req, res);
  });
  // The HTTP server never listens, in any mode: every connection comes through the gate.
  const gate = new ConnectionGate(
    server,
    { headersMs: config.headersTimeout * 1000, bodyMs: config.bodyTimeout * 1000, idleMs: config.idleTimeout * 1000 },
    connectionBudget(config.maxConnections),
    logger,
  );
  const listener = acceptor ? null : net.createServer(gate.admit);
  let stopping = false;

  if (acceptor) {
    acceptor.serve(gate.admit);
    logger.info('gateway ready', { mode: ctx.mode, engines: config.engines });
  } else {
    listen();
  }

  function listen() {
    const onListenError = (err: NodeJS.ErrnoException) => exitOnListenError(err, config);
    listener!.once('error', onListenError);
    listener!.listen(config.port, config.host, () => {
      listener!.off('error', onListenError);
      // A failed accept (EMFILE past the budget's reserve) must not end the process.
      listener!.on('error', (err) => logger.error('accepting a connection failed', { error: err.message }));
      const address = listener!.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      // Under pm2 its primary owns the port; alone, this line tells scripts and tests (whatever
      // the log level) where the gateway listens.
      if (!cluster.isWorker) {
        process.stdout.write(
          `${JSON.stringify({ event: 'listening', host: config.host, port, mode: ctx.mode, worker_id: id })}\n`,
        );
      }
      logger.info('gateway listening', { host: config.host, port, mode: ctx.mode, engines: config.engines });
    });
  }

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    // Docker and pm2 kill after 10 s: an engine that does not answer its stop call must not make
    // this process overstay (the primary gives workers STOP_TIMEOUT_MS, more than this).
    setTimeout(() => {
      logger.warn('stop took too long, exiting', { after_ms: WORKER_STOP_DEADLINE_MS });
      gate.close();
      process.exit(0);
    }, WORKER_STOP_DEADLINE_MS).unref();
    acceptor?.close();
    listener?.close();
    await ctx.close().catch((err: Error) => logger.error('error while stopping', { error: err.message }));
    gate.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
