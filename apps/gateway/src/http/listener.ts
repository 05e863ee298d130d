// A worker that listens itself (embedded mode, pm2 cluster mode, or alone): PORT on HOST, every
// connection handed to the server's gate. Under our node:cluster primary the shared socket's
// acceptor (cluster/acceptor.ts) takes this one's place.

import cluster from 'node:cluster';
import net from 'node:net';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { exitOnListenError } from './listen-error.js';
import { PLAYER_WRITE_AHEAD_BYTES } from './response-sink.js';

/** Listens on PORT/HOST (exit 1 naming them when it cannot); the caller closes it when stopping. */
export function listen(
  config: ProxyConfig,
  admit: (socket: net.Socket) => void,
  announce: { mode: string; workerId: string },
  logger: Logger,
): net.Server {
  const listener = net.createServer({ highWaterMark: PLAYER_WRITE_AHEAD_BYTES }, admit);
  const onListenError = (err: NodeJS.ErrnoException) => exitOnListenError(err, config);
  listener.once('error', onListenError);
  listener.listen(config.port, config.host, () => {
    listener.off('error', onListenError);
    // A failed accept (EMFILE past the budget's reserve) must not end the process.
    listener.on('error', (err) => logger.error('accepting a connection failed', { error: err.message }));
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // Under pm2 its primary owns the port; alone, this line tells scripts and tests (whatever
    // the log level) where the gateway listens.
    if (!cluster.isWorker) {
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', host: config.host, port, mode: announce.mode, worker_id: announce.workerId })}\n`,
      );
    }
    logger.info('gateway listening', { host: config.host, port, mode: announce.mode, engines: config.engines });
  });
  return listener;
}
