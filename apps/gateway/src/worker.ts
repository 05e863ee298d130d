// One gateway process serving HTTP: its context, its HTTP server fed by the shared socket's
// acceptor or its own listener, and a graceful stop on signals.

import cluster from 'node:cluster';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { SharedSocketAcceptor } from './cluster/acceptor.js';
import { createContext } from './context.js';
import { listen } from './http/listener.js';
import { createHttpServer } from './http/server.js';
import { workerId } from './worker-id.js';

/** How long a stopping worker waits for engines and Redis before it exits anyway. */
const WORKER_STOP_DEADLINE_MS = 7_000;

export async function runWorker(config: ProxyConfig, logger: Logger): Promise<void> {
  const id = workerId();
  // Forked by our primary: accept from its shared socket, holding connections until the app is
  // up (see cluster/shared-socket.ts). Under pm2 (or alone) the process listens itself.
  const acceptor =
    cluster.isWorker && process.env.ACESTREAM_PROXY_SHARED_SOCKET === '1'
      ? new SharedSocketAcceptor(logger, { quietMs: config.acceptQuietMs, notReadyWaitMs: config.notReadyWaitMs })
      : null;
  const ctx = await createContext(config, id, logger).catch((err: Error) => {
    logger.error('cannot start', { error: err.message });
    process.exit(1);
  });
  const gate = createHttpServer(ctx);
  acceptor?.serve(gate.admit);
  if (acceptor) logger.info('gateway ready', { mode: ctx.mode, engines: config.engines });
  const listener = acceptor ? null : listen(config, gate.admit, { mode: ctx.mode, workerId: id }, logger);

  let stopping = false;
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
