// The logging shape libraries need; the gateway passes a winston logger (config's createLogger).

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
  child(meta: Record<string, unknown>): Logger;
}

/** A logger that drops everything, for tests and library users who do not care. */
export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silentLogger,
};

/**
 * A catch handler for work whose failure must not stop the caller (cleanup, best-effort
 * announcements): the failure is logged as `message` with `meta` and the error, never dropped.
 */
export function logFailure(logger: Logger, message: string, meta: Record<string, unknown> = {}): (err: unknown) => void {
  return (err) => {
    logger.warn(message, { ...meta, error: err instanceof Error ? err.message : String(err) });
  };
}
