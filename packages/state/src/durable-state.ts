// Watches the durable state (DESIGN §19): says loudly when it was lost and re-seeds what config holds.

import { newSentinelId, type SentinelStore } from './sentinel.js';

/** The logging shape this needs (the gateway's winston logger fits). */
export interface StateLogger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
}

/** Puts config-born state (USERS_FILE's users, PROXY_SECRET-derived values) back; `overwrite` at start. */
export type Reseed = (occasion: { overwrite: boolean }) => Promise<void>;

/** What /health shows: a warning that stays until the process restarts, so an operator sees it. */
export interface StateHealth {
  readonly ok: boolean;
  /** Set once runtime-born state was found gone: when, and what it means. */
  readonly warning: { readonly code: 'durable_state_lost'; readonly since: string; readonly message: string } | null;
}

export interface DurableStateOptions {
  logger: StateLogger;
  /** Every config-born part; each failure is logged and retried at the next check. */
  reseeds?: readonly Reseed[];
  /** How often to look (default 5000 ms): one GET. */
  checkMs?: number;
  /** Where the state lives, for log lines (e.g. the state Redis's address). */
  describe?: string;
}

const LOST =
  'durable state was lost (the state Redis restarted without persistence, was flushed, or was replaced): ' +
  'users created through the admin API, rotated tokens, GuideNumbers and the generated HLS key are gone; ' +
  'USERS_FILE and PROXY_SECRET were put back. Run the state Redis with appendonly yes (REDIS_STATE_URL)';

/**
 * A sentinel id is written at the first start and remembered by every worker. A check that finds
 * no sentinel, or another id (another worker saw the loss first and wrote a new one), means what
 * the running proxy wrote is gone: an error line, a /health warning, and config-born state
 * re-seeded. At start a missing sentinel cannot tell a first start from a loss while everything
 * was down, so it is said as a warning naming both.
 */
export class DurableState {
  private seen: string | null = null;
  private lostSince: Date | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  /** A re-seed failed: the next check tries again, the sentinel being in place or not. */
  private reseedPending = false;

  constructor(
    private readonly store: SentinelStore,
    private readonly options: DurableStateOptions,
  ) {}

  /** Reads or writes the sentinel, seeds config-born state (the config wins), then checks every `checkMs`. */
  async start(): Promise<void> {
    const found = await this.store.offer(newSentinelId());
    this.seen = found.value;
    if (found.stored) {
      this.options.logger.warn(
        'no durable state found: a first start, or the state Redis lost its data while every gateway was down (then users made through the admin API are gone)',
        { state: this.options.describe },
      );
    }
    await this.reseed(true);
    this.timer = setInterval(() => void this.check(), this.options.checkMs ?? 5000);
    this.timer.unref();
  }

  /** One look now (the timer calls it; tests may too). */
  check(): Promise<void> {
    this.checking ??= this.look()
      .catch((err: Error) => {
        // Redis went away between the read and the new sentinel: the next check tries again.
        this.options.logger.warn('durable state check failed', { error: err.message });
      })
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  health(): StateHealth {
    if (!this.lostSince) return { ok: true, warning: null };
    return { ok: false, warning: { code: 'durable_state_lost', since: this.lostSince.toISOString(), message: LOST } };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async look(): Promise<void> {
    let id: string | null;
    try {
      id = await this.store.read();
    } catch (err) {
      // Unreachable is not lost: /health already says Redis is down.
      this.options.logger.warn('durable state check failed', { error: (err as Error).message });
      return;
    }
    if (id !== null && id === this.seen) {
      if (this.reseedPending) await this.reseed(false);
      return;
    }
    this.lostSince ??= new Date();
    this.options.logger.error(LOST, { state: this.options.describe, sentinel_was: this.seen, sentinel_now: id });
    this.seen = (await this.store.offer(newSentinelId())).value;
    await this.reseed(false);
  }

  private async reseed(overwrite: boolean): Promise<void> {
    this.reseedPending = false;
    for (const reseed of this.options.reseeds ?? []) {
      try {
        await reseed({ overwrite });
      } catch (err) {
        this.options.logger.error('re-seeding durable state from the configuration failed; retrying at the next check', {
          error: (err as Error).message,
        });
        this.reseedPending = true;
      }
    }
  }
}
