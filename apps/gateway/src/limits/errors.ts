// What a client address that passed one of its limits is told: 429, the knob and when to retry.

/** The code names the limit; the message names its knob and value, so an operator knows what to raise. */
export class TooManyRequestsError extends Error {
  constructor(
    readonly code: 'too_many_connections' | 'too_many_new_sessions',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TooManyRequestsError';
  }
}
