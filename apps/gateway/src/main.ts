// Gateway entry point: a node:cluster primary in the Redis modes, or one serving process.

import cluster from 'node:cluster';
import { createLogger, loadConfigOrExit } from '@acestream-proxy/config';
import { accountProblems } from './accounts/index.js';
import { workerId } from './worker-id.js';

const { config, warnings } = loadConfigOrExit();
// pm2 cluster mode runs each process as a plain worker (NODE_APP_INSTANCE set); embedded mode
// keeps everything in memory, so it is always a single process.
const clustered = cluster.isPrimary && config.redisMode !== 'embedded' && process.env.NODE_APP_INSTANCE === undefined;
const logger = createLogger({
  level: config.logLevel,
  format: config.logFormat,
  workerId: clustered ? `${workerId()}:primary` : workerId(),
});
if (cluster.isPrimary) for (const warning of warnings) logger.warn(warning);
// Checked once here, before any worker starts: a bad USERS_FILE or a clash with AUTH=token exits 1.
const refused = accountProblems(config);
if (refused.length > 0) {
  for (const line of refused) process.stderr.write(`${line}\n`);
  process.exit(1);
}

// Each role imports only its own code: the primary's start (before it forks the workers) took
// ~0.5 s of loading the workers' HTTP side, which it never runs.
if (clustered) {
  const { runPrimary } = await import('./cluster/primary.js');
  await runPrimary(config, logger);
} else {
  const { runWorker } = await import('./worker.js');
  if (cluster.isPrimary && config.redisMode === 'embedded' && config.workers > 1) {
    logger.info('embedded mode (no REDIS_URL) runs one process; set REDIS_URL to use several workers');
  }
  await runWorker(config, logger);
}
