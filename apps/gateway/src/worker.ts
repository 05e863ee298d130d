// One gateway process serving HTTP: backends, the Express app, and a graceful stop on signals.

import cluster from 'node:cluster';
import http from 'node:http';
import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { createApp } from './app.js';
import { createContext } from './context.js';

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

  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // Under node:cluster the primary reports readiness once every worker listens.
    if (!cluster.isWorker) {
      // A machine-readable readiness line, printed whatever the log level (scripts and tests wait for it).
      process.stdout.write(`${JSON.stringify({ event: 'listening', host: config.host, port, mode: ctx.mode, worker_id: id })}\n`);
    }
    logger.info('gateway listening', { host: config.host, port, mode: ctx.mode, engines: config.engines });
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close();
    await ctx.close().catch((err: Error) => logger.error('error while stopping', { error: err.message }));
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
