// The one place that turns typed errors into HTTP statuses and JSON bodies (DESIGN §8).

import { type ServerResponse, STATUS_CODES } from 'node:http';
import { UnauthorizedError, UserExistsError, UserInputError, UserLimitError, UserNotFoundError } from '@acestream-proxy/accounts';
import { EngineError } from '@acestream-proxy/engine';
import { GuideUnavailableError, NoGuideSourcesError } from '@acestream-proxy/epg';
import { BadHlsRequestError, SegmentNotFoundError } from '@acestream-proxy/hls';
import { BadStreamIdError } from '@acestream-proxy/keys';
import {
  BadPlaylistOptionError,
  NoPlaylistSourcesError,
  PlaylistParseError,
  PlaylistUnavailableError,
  RewriteBusyError,
} from '@acestream-proxy/playlist';
import type { Logger } from '@acestream-proxy/stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PlayerEndedError } from '../accounts/players.js';
import { TooManyRequestsError } from '../limits/errors.js';
import { HostNotAllowedError } from './allowed-hosts.js';

export interface HttpError {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
  /** The `WWW-Authenticate` challenge of a 401 (players send URL credentials only after one). */
  challenge?: string;
}

/** A request needs Redis while a connection to it is down (checked before any command is sent). */
export class RedisUnavailableError extends Error {
  constructor() {
    super('a Redis connection is down');
    this.name = 'RedisUnavailableError';
  }
}

/** A connection's request headers (or its body) did not arrive within their deadline (http/deadlines.ts). */
export class RequestTimeoutError extends Error {
  constructor() {
    super('the request did not arrive in time (PROXY_HEADERS_TIMEOUT / PROXY_BODY_TIMEOUT)');
    this.name = 'RequestTimeoutError';
  }
}

/** The worker holds as many connections as PROXY_MAX_CONNECTIONS lets it (http/connections.ts). */
export class ConnectionBudgetError extends Error {
  constructor(readonly limit: number) {
    super(`this gateway worker has ${limit} connections open (PROXY_MAX_CONNECTIONS); retry shortly`);
    this.name = 'ConnectionBudgetError';
  }
}

/** A connection accepted before its worker's HTTP app was up, kept waiting too long (cluster/acceptor.ts). */
export class WorkerNotReadyError extends Error {
  constructor() {
    super('no gateway worker is ready yet (they are starting, or waiting for Redis at REDIS_URL); retry shortly');
    this.name = 'WorkerNotReadyError';
  }
}

/** The management API without PROXY_API_KEY configured, or with a missing or wrong key. */
export class ApiKeyError extends Error {
  constructor(readonly code: 'api_key_not_configured' | 'unauthorized' | 'operator_key_required' | 'read_only') {
    super(API_KEY_MESSAGES[code]);
    this.name = 'ApiKeyError';
  }
}

const API_KEY_MESSAGES = {
  unauthorized: 'missing or wrong API key (Authorization: Bearer <key> or X-API-Key: <key>)',
  api_key_not_configured: 'set PROXY_API_KEY to use the management API',
  operator_key_required:
    'AUTH=token: the operator views need PROXY_API_KEY or PROXY_READ_KEY (X-API-Key: <key>, or the status page login)',
  read_only: 'the read-only key (PROXY_READ_KEY) may look, not change: use PROXY_API_KEY',
};

/** An address that sent too many wrong API keys waits before it may try again (auth/failures.ts). */
export class TooManyFailuresError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many wrong API keys from this address; retry in ${retryAfterSeconds} s`);
    this.name = 'TooManyFailuresError';
  }
}

/** The users API asked for with AUTH=none: there are no users. */
export class AccountsOffError extends Error {
  readonly code = 'auth_off';
  constructor() {
    super('users exist only with AUTH=token; set it to manage them (see docs/users.md)');
    this.name = 'AccountsOffError';
  }
}

/** Seconds a client should wait before retrying when no engine can serve it. */
const RETRY_AFTER_SECONDS = 5;

export function toHttpError(err: unknown): HttpError {
  if (err instanceof UnauthorizedError) return { status: 401, code: err.code, message: err.message, challenge: err.challenge };
  if (err instanceof UserLimitError) return { status: 429, code: err.code, message: err.message };
  if (err instanceof UserInputError) return { status: 400, code: err.code, message: err.message };
  if (err instanceof UserNotFoundError) return { status: 404, code: err.code, message: err.message };
  if (err instanceof UserExistsError) return { status: 409, code: err.code, message: err.message };
  if (err instanceof AccountsOffError) return { status: 404, code: err.code, message: err.message };
  if (err instanceof PlayerEndedError) return { status: 410, code: err.code, message: err.message };
  if (err instanceof RequestTimeoutError) return { status: 408, code: 'request_timeout', message: err.message };
  if (err instanceof ConnectionBudgetError || err instanceof WorkerNotReadyError) {
    const code = err instanceof ConnectionBudgetError ? 'too_many_connections' : 'not_ready';
    return { status: 503, code, message: err.message, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }
  if (err instanceof ApiKeyError) {
    const status = err.code === 'unauthorized' || err.code === 'operator_key_required' ? 401 : 403;
    return { status, code: err.code, message: err.message };
  }
  if (err instanceof TooManyFailuresError) {
    return { status: 429, code: 'too_many_failures', message: err.message, retryAfterSeconds: err.retryAfterSeconds };
  }
  if (err instanceof BadStreamIdError) return { status: 400, code: err.code, message: err.message };
  if (err instanceof BadHlsRequestError) return { status: 400, code: err.code, message: err.message };
  if (err instanceof SegmentNotFoundError) return { status: 404, code: err.code, message: err.message };
  if (err instanceof TooManyRequestsError) {
    return { status: 429, code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds };
  }
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
  if (err instanceof PlaylistParseError || err instanceof BadPlaylistOptionError) {
    return { status: 400, code: err.code, message: err.message };
  }
  if (err instanceof NoPlaylistSourcesError || err instanceof NoGuideSourcesError) {
    return { status: 404, code: err.code, message: err.message };
  }
  if (err instanceof HostNotAllowedError) return { status: 403, code: err.code, message: err.message };
  if (err instanceof PlaylistUnavailableError || err instanceof RewriteBusyError || err instanceof GuideUnavailableError) {
    return { status: 503, code: err.code, message: err.message, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }
  const body = bodyParserError(err);
  if (body) return body;
  if (err instanceof RedisUnavailableError || isRedisUnavailable(err)) {
    return {
      status: 503,
      code: 'redis_unavailable',
      message: 'the proxy cannot reach Redis; try again shortly',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  }
  // Express' own request errors (a malformed %-escape in a path parameter, ...) carry a 4xx.
  const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: `the request cannot be understood: ${(err as Error).message}` };
  }
  return { status: 500, code: 'internal_error', message: 'unexpected error; see the proxy log' };
}

// express.text() (body-parser) marks its errors with a `type` and a 4xx `status`.
function bodyParserError(err: unknown): HttpError | null {
  const e = err as { type?: unknown; status?: unknown; limit?: unknown; message?: string };
  if (typeof e?.type !== 'string' || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (e.type === 'entity.too.large') {
    // The one body the gateway reads is POST /playlist/rewrite's.
    return {
      status: 413,
      code: 'body_too_large',
      message: `the body is larger than ${e.limit} bytes (PLAYLIST_REWRITE_MAX_BYTES)`,
    };
  }
  return { status: e.status, code: e.type.replace(/\./g, '_'), message: e.message ?? 'bad request body' };
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

/**
 * Answers 503 at once while Redis is down, before the route sends a command: commands on the
 * background connections would wait in ioredis' offline queue through several reconnects.
 */
export function requireRedis(ready: () => boolean): RequestHandler {
  return (_req, _res, next) => {
    next(ready() ? undefined : new RedisUnavailableError());
  };
}

/** The JSON error body with its status (a plain node response: the stream route bypasses Express). */
export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (error.challenge) res.setHeader('WWW-Authenticate', error.challenge);
  const body = JSON.stringify({ error: error.code, message: error.message });
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * A whole HTTP/1.1 answer for a raw socket, before (or without) node's HTTP parser: the connection
 * closes after it. For connections refused or timed out below the routes.
 */
export function rawErrorResponse(err: Error): string {
  const error = toHttpError(err);
  const body = JSON.stringify({ error: error.code, message: error.message });
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    ...(error.retryAfterSeconds ? [`Retry-After: ${error.retryAfterSeconds}`] : []),
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A request that failed: its JSON error answer, logged when the fault is ours (5xx). */
export function answerFailure(logger: Logger, path: string, err: unknown, res: ServerResponse): void {
  const error = toHttpError(err);
  if (error.status >= 500) {
    logger.warn('request failed', { path, status: error.status, error: String((err as Error)?.message ?? err) });
  }
  sendError(res, error);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => answerFailure(logger, req.path, err, res);
}
