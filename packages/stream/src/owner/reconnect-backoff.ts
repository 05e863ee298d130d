// How long the owner waits before each reconnect to one engine: exponential, with jitter.

/** The wait doubles per attempt up to this many times the first one (250 ms → 2 s by default). */
const MAX_FACTOR = 8;

/**
 * The wait before the next attempt on one engine after `fruitless` attempts in a row that
 * delivered nothing (0: none, reconnect at once): `baseMs` doubled per one, capped, and spread by
 * ±25% so the streams of an engine that restarts do not all come back in the same instant. An
 * engine that refuses is not hammered, and a stream is not moved or given up on within a few
 * milliseconds of its engine's first refusal.
 */
export function reconnectDelay(fruitless: number, baseMs: number): number {
  if (baseMs <= 0 || fruitless < 1) return 0;
  const nominal = baseMs * Math.min(2 ** (fruitless - 1), MAX_FACTOR);
  return Math.round(nominal * (0.75 + Math.random() * 0.5));
}
