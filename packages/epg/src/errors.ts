// Typed guide errors; the gateway's error mapper turns each into its HTTP status.

/** No guide has been stored yet: the first refresh has not finished (or every source failed before it). */
export class GuideUnavailableError extends Error {
  readonly code = 'guide_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'GuideUnavailableError';
  }
}
