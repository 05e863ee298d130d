// One logger setup for every process: JSON lines or pretty lines, worker id (and stream id) on each.

import winston from 'winston';
import type { LogFormat, LogLevel } from './types.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  workerId: string;
  /** Where lines go; stdout by default. */
  stream?: NodeJS.WritableStream;
}

const pretty = winston.format.printf(({ timestamp, level, message, worker_id, stream_id, ...meta }) => {
  const scope = stream_id ? ` ${String(stream_id).slice(0, 8)}` : '';
  const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
  return `${timestamp} ${level.padEnd(5)} [${worker_id}${scope}] ${message}${rest}`;
});

export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), pretty);
  const logger = winston.createLogger({
    level: options.level,
    defaultMeta: { worker_id: options.workerId },
    format,
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stdout })],
  });
  skipDisabledLevels(logger);
  return logger;
}

/**
 * winston builds every line and pipes it through its format stream before the level filter
 * drops it: a `debug` per player cost a join storm ~2% of a worker's CPU at level `info`. The
 * level methods now return at once for a level that is off. They live on a prototype winston
 * makes for this logger alone, which its children share (so `this` is the child).
 */
function skipDisabledLevels(logger: Logger): void {
  const methods = Object.getPrototypeOf(logger) as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const log = methods[level];
    if (typeof log !== 'function') continue;
    methods[level] = function (this: Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? log.apply(this, args) : this;
    };
  }
}
