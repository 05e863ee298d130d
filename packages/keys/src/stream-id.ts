// Stream ids: the only way client input becomes a StreamId, validated before any key is built.

/** A validated, lower-cased 40-hex AceStream content id / infohash. */
export type StreamId = string & { readonly __brand: 'StreamId' };

const STREAM_ID = /^[0-9a-f]{40}$/;

/** Raised for any id that is not 40 hex characters; the gateway maps it to 400. */
export class BadStreamIdError extends Error {
  readonly code = 'bad_stream_id';
  constructor(readonly value: string) {
    super(`stream id must be 40 hexadecimal characters (got ${describe(value)})`);
    this.name = 'BadStreamIdError';
  }
}

// Never echo a huge or control-laden value back: show its length and a safe prefix.
function describe(value: string): string {
  if (value.length === 0) return 'an empty value';
  const printable = value.slice(0, 48).replace(/[^\x20-\x7e]/g, '?');
  return `${value.length} characters: "${printable}${value.length > 48 ? '...' : ''}"`;
}

export function parseStreamId(raw: unknown): StreamId {
  const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? String(raw[0] ?? '') : '';
  const lower = value.toLowerCase();
  if (!STREAM_ID.test(lower)) throw new BadStreamIdError(value);
  return lower as StreamId;
}

export function isStreamId(value: string): value is StreamId {
  return STREAM_ID.test(value);
}
