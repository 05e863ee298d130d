// One gateway process serving HTTP: backends, the Express app, and a graceful stop on signals.

import cluster from 'node:cluster';
import http from 'node:http';
import type net from 'node:net';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { createApp } from './app.js';
import { createContext } from './context.js';
import { CONNECTION, type ConnectionMessage, LOAD, type LoadMessage, READY, TAKEN, type TakenMessage } from './dispatch.js';
import { exitOnListenError } from './listen-error.js';

/** How long a stopping worker waits for engines and Redis before it exits anyway. */
const WORKER_STOP_DEADLINE_MS = 7_000;

export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}

export async function runWorker(config: ProxyConfig, logger: Logger): Promise<void> {
  const id = workerId();
  const ctx = await createContext(config, id, logger).catch((err: Error) => {
    logger.error('cannot start', { error: err.message });
    process.exit(1);
  });
  const server = http.createServer(createApp(ctx));
  server.keepAliveTimeout = 65_000;
  let stopping = false;

  // Forked by our primary: connections arrive from it, confirmed one by one (see dispatch.ts).
  // Under pm2 (or alone) the process listens itself.
  if (cluster.isWorker && process.env.ACESTREAM_PROXY_DISPATCHED === '1') {
    // Confirmations of one tick go in one message with this worker's connection count: in a
    // flash crowd, IPC per connection adds up.
    let taken: number[] = [];
    let open = 0;
    const confirm = () => {
      const message: TakenMessage = { type: TAKEN, ids: taken, connections: open };
      taken = [];
      if (process.connected) process.send?.(message);
    };
    process.on('message', (message: ConnectionMessage, socket?: net.Socket) => {
      if (message?.type !== CONNECTION || !socket) return;
      // A stopping worker leaves it unconfirmed: the primary gives it to another worker.
      if (stopping) return;
      if (taken.length === 0) setImmediate(confirm);
      taken.push(message.id);
      server.emit('connection', socket);
      socket.resume();
    });
    // The primary sends new players to the worker with the fewest connections: tell it this
    // worker's count when connections close (once per tick however many); new ones are counted
    // in the confirmations.
    let reportQueued = false;
    const report = () => {
      if (reportQueued) return;
      reportQueued = true;
      setImmediate(() => {
        reportQueued = false;
        const load: LoadMessage = { type: LOAD, connections: open };
        if (process.connected) process.send?.(load);
      });
    };
    server.on('connection', (socket: net.Socket) => {
      open++;
      socket.once('close', () => {
        open--;
        report();
      });
    });
    process.send?.({ type: READY });
    logger.info('gateway ready', { mode: ctx.mode, engines: config.engines });
  } else {
    listen();
  }

  function listen() {
    const onListenError = (err: NodeJS.ErrnoException) => exitOnListenError(err, config);
    server.once('error', onListenError);
    server.listen(config.port, config.host, () => {
      server.off('error', onListenError);
      const address = server.address();
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
      server.closeAllConnections();
      process.exit(0);
    }, WORKER_STOP_DEADLINE_MS).unref();
    if (server.listening) server.close();
    await ctx.close().catch((err: Error) => logger.error('error while stopping', { error: err.message }));
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
