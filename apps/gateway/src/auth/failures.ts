// Wrong API keys counted per client address: an address that sends too many waits (a 429) before
// it may try again, so keys cannot be guessed as fast as requests can be sent (DESIGN §16).

/** Wrong keys from one address within FAILURE_WINDOW_MS that block it. */
export const FAILURE_LIMIT = 10;
/** Failures are counted over this long from an address's first. */
export const FAILURE_WINDOW_MS = 10 * 60_000;
/** How long a blocked address is answered 429, from the failure that blocked it. */
export const BLOCK_MS = 10 * 60_000;

/** The failure counters of the fleet (Redis modes) or of the one process (embedded mode). */
export interface AuthFailures {
  /** Milliseconds the address must still wait; 0 when it may try a key. */
  blockedFor(address: string): Promise<number>;
  /** Counts a wrong key; resolves to the milliseconds the address must now wait (0: not blocked). */
  fail(address: string): Promise<number>;
}

/** Addresses remembered at most (an attacker with many addresses must not grow the map for ever). */
const MAX_ADDRESSES = 100_000;

/** Embedded mode: one process serves every request, so its memory is the whole fleet's count. */
export class MemoryAuthFailures implements AuthFailures {
  private readonly counts = new Map<string, { failures: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async blockedFor(address: string): Promise<number> {
    const entry = this.live(address);
    return entry && entry.failures >= FAILURE_LIMIT ? entry.expiresAt - this.now() : 0;
  }

  async fail(address: string): Promise<number> {
    const now = this.now();
    let entry = this.live(address);
    if (!entry) {
      if (this.counts.size >= MAX_ADDRESSES) this.prune(now);
      entry = { failures: 0, expiresAt: now + FAILURE_WINDOW_MS };
      this.counts.set(address, entry);
    }
    entry.failures++;
    if (entry.failures < FAILURE_LIMIT) return 0;
    if (entry.failures === FAILURE_LIMIT) entry.expiresAt = now + BLOCK_MS;
    return entry.expiresAt - now;
  }

  private live(address: string): { failures: number; expiresAt: number } | undefined {
    const entry = this.counts.get(address);
    if (entry && entry.expiresAt <= this.now()) {
      this.counts.delete(address);
      return undefined;
    }
    return entry;
  }

  /** Drops expired counters, and the oldest ones if that is not enough. */
  private prune(now: number): void {
    for (const [address, entry] of this.counts) if (entry.expiresAt <= now) this.counts.delete(address);
    for (const address of this.counts.keys()) {
      if (this.counts.size < MAX_ADDRESSES) break;
      this.counts.delete(address);
    }
  }
}
