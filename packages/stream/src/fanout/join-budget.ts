// The join burst budget: backlog bytes a fanout's joiners are still owed, paid off as they are written.

/** A client's place in the stream, in bytes: how far it has been written, and where its join backlog ends. */
export interface BacklogPosition {
  /** Stream byte position up to which the client has been written (chunks only). */
  position: number;
  /** Stream byte position where the backlog it was given on joining ends (0: none owed). */
  backlogEnd: number;
}

/**
 * Keeps the total a flash crowd of joiners is owed below a budget, in O(1) per join and per
 * write: a joiner is owed the bytes from its start to the live edge at its join; each chunk
 * written to it pays that off, and leaving (or jumping) forgets the rest.
 */
export class BacklogLedger {
  private owed = 0;

  /** `budget` unset: no limit. */
  constructor(private readonly budget: number | undefined) {}

  get total(): number {
    return this.owed;
  }

  /**
   * Whether a backlog of `bytes` more fits in the budget. A joiner when nothing is owed always
   * fits: one player at a time gets its full backlog whatever the stream's bitrate, however small
   * the budget.
   */
  fits(bytes: number): boolean {
    return this.budget === undefined || this.owed === 0 || this.owed + bytes <= this.budget;
  }

  /** A joiner starting at byte `from` is owed everything up to the live edge `to`. */
  owe(client: BacklogPosition, from: number, to: number): void {
    client.position = from;
    client.backlogEnd = to;
    this.owed += to - from;
  }

  /** The client was written up to `position`: pays off what that covers of its backlog. */
  advance(client: BacklogPosition, position: number): void {
    if (client.position < client.backlogEnd) this.owed -= Math.min(position, client.backlogEnd) - client.position;
    client.position = position;
  }

  /** The client leaves or jumps: what it was still owed is owed no more. */
  settle(client: BacklogPosition): void {
    if (client.position < client.backlogEnd) this.owed -= client.backlogEnd - client.position;
    client.backlogEnd = 0;
  }
}
