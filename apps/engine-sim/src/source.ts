// What the pacer reads from: a live TS source producing one frame period of packets at a time.

export interface TsSource {
  /** Bytes per second the source's content represents (pacing rate). */
  readonly byteRate: number;
  /** The next frame period's packets (whole 188-byte packets). */
  nextFrame(): Buffer;
}
