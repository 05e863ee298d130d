// The one place that turns typed errors into HTTP statuses and JSON bodies (DESIGN §8).

import { EngineError } from '@acestream-proxy/engine';
import { BadHlsRequestError, SegmentNotFoundError } from '@acestream-proxy/hls';
import { BadStreamIdError } from '@acestream-proxy/keys';
import type { Logger } from '@acestream-proxy/stream';
import type { ErrorRequestHandler, Response } from 'express';

export interface HttpError {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

/** Seconds a client should wait before retrying when no engine can serve it. */
const RETRY_AFTER_SECONDS = 5;

export function toHttpError(err: unknown): HttpError {
  if (err instanceof BadStreamIdError) return { status: 400, code: err.code, message: err.message };
  if (err instanceof BadHlsRequestError) return { status: 400, code: err.code, message: err.message };
  if (err instanceof SegmentNotFoundError) return { status: 404, code: err.code, message: err.message };
  if (err instanceof EngineError) {
    switch (err.code) {
      case 'engine_refused':
      case 'engine_bad_response':
        return { status: 502, code: err.code, message: err.message };
      case 'engine_unreachable':
      case 'no_engine_available':
        return { status: 503, code: err.code, message: err.message, retryAfterSeconds: RETRY_AFTER_SECONDS };
      case 'engine_timeout':
        return { status: 504, code: err.code, message: err.message };
    }
  }
  if (isRedisUnavailable(err)) {
    return {
      status: 503,
      code: 'redis_unavailable',
      message: 'the proxy cannot reach Redis; try again shortly',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  }
  return { status: 500, code: 'internal_error', message: 'unexpected error; see the proxy log' };
}

// ioredis rejects at once when offline (enableOfflineQueue: false) or out of retries.
function isRedisUnavailable(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  const name = (err as Error)?.name ?? '';
  return (
    name === 'MaxRetriesPerRequestError' ||
    message.includes("Stream isn't writeable") ||
    message.includes('Connection is closed') ||
    message.includes('ECONNREFUSED')
  );
}

export function sendError(res: Response, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.status(error.status).json({ error: error.code, message: error.message });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toHttpError(err);
    if (error.status >= 500)
      logger.warn('request failed', {
        path: req.path,
        status: error.status,
        error: String(err?.message ?? err),
      });
    sendError(res, error);
  };
}
