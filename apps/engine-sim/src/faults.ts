// Faults a test can ask the simulated engine for, per content id or for every stream.

export interface Faults {
  /** Headers at once, first byte only after this long. */
  prebuffer_ms?: number;
  /** Stop sending after this many seconds, keeping the connection open. */
  stall_after_s?: number;
  /** End the response (and the session) after this many seconds. */
  eof_after_s?: number;
  /** getstream answers this error text instead of a session. */
  error?: string;
  /** getstream answers an error once this many sessions of the content were opened (refuses reconnects). */
  refuse_after?: number;
  /** Send an HTML page instead of TS after this many seconds (at the same rate, connection open). */
  garbage_after_s?: number;
  /** getstream's answer is padded to this many bytes (a broken engine's endless answer). */
  answer_bytes?: number;
  /** getstream answers only after this long (an engine slow to open its session). */
  answer_ms?: number;
}

const NUMBER_FIELDS = [
  'prebuffer_ms',
  'stall_after_s',
  'eof_after_s',
  'refuse_after',
  'garbage_after_s',
  'answer_bytes',
  'answer_ms',
] as const;

/** Reads faults from a JSON body or query parameters; unknown fields are ignored. */
export function parseFaults(source: Record<string, unknown>): Faults {
  const faults: Faults = {};
  for (const field of NUMBER_FIELDS) {
    const raw = source[field];
    if (raw === undefined || raw === null || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${field} must be a number of at least 0 (got ${String(raw)})`);
    faults[field] = value;
  }
  if (typeof source.error === 'string' && source.error !== '') faults.error = source.error;
  return faults;
}
