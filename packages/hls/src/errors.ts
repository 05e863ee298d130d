// What an HLS request can get wrong, as typed errors the gateway maps to HTTP statuses.

/** A segment that is not (or no longer) in the stream's list, or whose chunks left the buffer. */
export class SegmentNotFoundError extends Error {
  readonly code = 'segment_not_found';
  constructor(sequence: string) {
    super(`segment ${sequence} is not available: it has left the buffer or is not complete yet; reload the playlist`);
  }
}

/** A player session id or segment name that is not one the proxy hands out. */
export class BadHlsRequestError extends Error {
  readonly code = 'bad_hls_request';
}
