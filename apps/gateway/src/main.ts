// Gateway entry point: config, logger, backends, HTTP server, graceful stop on SIGTERM/SIGINT.

import http from 'node:http';
import { hostname } from 'node:os';
import { createLogger, loadConfigOrExit } from '@acestream-proxy/config';
import { createApp } from './app.js';
import { createContext } from './context.js';

const { config, warnings } = loadConfigOrExit();
const workerId = `${hostname()}:${process.pid}`;
const logger = createLogger({ level: config.logLevel, format: config.logFormat, workerId });
for (const warning of warnings) logger.warn(warning);

const ctx = await createContext(config, workerId, logger).catch((err: Error) => {
  logger.error('cannot start', { error: err.message });
  process.exit(1);
});
const server = http.createServer(createApp(ctx));
server.keepAliveTimeout = 65_000;

server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // A machine-readable readiness line, printed whatever the log level (scripts and tests wait for it).
  process.stdout.write(`${JSON.stringify({ event: 'listening', host: config.host, port, mode: ctx.mode, worker_id: workerId })}\n`);
  logger.info('gateway listening', { host: config.host, port, mode: ctx.mode, engines: config.engines });
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  server.close();
  await ctx.close();
  server.closeAllConnections();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
