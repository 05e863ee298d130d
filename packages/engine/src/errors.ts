// Typed engine failures; the gateway's error mapper turns each code into an HTTP status.

export interface EngineAddress {
  host: string;
  port: number;
}

export type EngineErrorCode =
  /** The engine answered with an `error` string (e.g. unknown content): 502. */
  | 'engine_refused'
  /** Connection refused / reset / DNS: 503. */
  | 'engine_unreachable'
  /** No answer, or no first byte, within the deadline: 504. */
  | 'engine_timeout'
  /** The engine answered something that is not its API: 502. */
  | 'engine_bad_response'
  /** Every engine is full or down: 503 with Retry-After. */
  | 'no_engine_available';

/** Longest engine text kept in an error: it reaches players' 502s, logs and the event log. */
export const MAX_REASON_CHARS = 300;

/** `text` cut to `max` characters, saying how much was left out. */
export function cutText(text: string, max = MAX_REASON_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export class EngineError extends Error {
  /** The engine's own words (cut to MAX_REASON_CHARS), or what went wrong talking to it. */
  readonly reason: string;

  constructor(
    readonly code: EngineErrorCode,
    reason: string,
    readonly engine?: EngineAddress,
  ) {
    const cut = cutText(reason);
    super(engine ? `engine ${engine.host}:${engine.port}: ${cut}` : cut);
    this.reason = cut;
    this.name = 'EngineError';
  }
}

/** Turns a low-level failure of a call into an EngineError that says what happened. */
export function toEngineError(err: unknown, engine: EngineAddress, what: string): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as {
    name?: string;
    code?: string;
    cause?: { code?: string; message?: string };
    message?: string;
  };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'ETIMEDOUT') {
    return new EngineError('engine_timeout', `${what} timed out`, engine);
  }
  const code = e?.cause?.code ?? e?.code;
  const detail = code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new EngineError('engine_unreachable', `${what} failed: ${detail}`, engine);
}
