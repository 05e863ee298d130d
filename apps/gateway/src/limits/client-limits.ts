// The per client address limits of one worker (issue 20): players connected and new engine
// sessions per minute, counted cluster-wide in a LimitStore, refused with TooManyRequestsError.

import type { Logger } from '@acestream-proxy/stream';
import { TooManyRequestsError } from './errors.js';
import type { HeldSlot, LimitStore } from './store.js';

export interface ClientLimitsOptions {
  store: LimitStore;
  /** PROXY_MAX_CONNECTIONS_PER_ADDRESS; 0 = off. */
  maxConnections: number;
  /** PROXY_MAX_NEW_SESSIONS_PER_MINUTE; 0 = off. */
  maxNewSessionsPerMinute: number;
  /** How long a TS player's slot outlives its worker's last refresh (the ghost timeout), ms. */
  slotTtlMs: number;
  /** How often this worker refreshes its TS players' slots (the heartbeat interval), ms. */
  refreshMs: number;
  logger: Logger;
}

const MINUTE_MS = 60_000;
/** A player refused for connections may retry once one of the address's players has left. */
const CONNECTIONS_RETRY_SECONDS = 5;

export class ClientLimits {
  /** This worker's TS players and their slots, refreshed together. */
  private readonly held = new Map<string, HeldSlot>();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ClientLimitsOptions) {
    if (options.maxConnections > 0) {
      this.timer = setInterval(() => void this.refreshHeld(), options.refreshMs);
      this.timer.unref();
    }
  }

  /** A TS player connects: holds one of its address's slots until `disconnect`. */
  async connect(address: string, player: string): Promise<void> {
    const slot = { address, player, ttlMs: this.options.slotTtlMs };
    if (!(await this.take(slot))) return;
    this.held.set(player, slot);
  }

  /** The TS player left (or was refused after `connect`): frees its slot; a no-op for one never held. */
  disconnect(player: string): void {
    const slot = this.held.get(player);
    if (!slot) return;
    this.held.delete(player);
    this.options.store.disconnect(slot.address, player).catch((err: Error) => {
      // Not fatal: the slot expires with its TTL.
      this.options.logger.warn('client slot release failed', { client_id: player, error: err.message });
    });
  }

  /**
   * An HLS session starts or is seen on this worker: holds a slot for `ttlMs`, refreshed by the
   * session's requests (`refreshSessions`); it frees itself when the session stops asking.
   */
  async connectSession(address: string, session: string, ttlMs: number): Promise<void> {
    await this.take({ address, player: session, ttlMs });
  }

  /** A session that never started (its stream refused it): frees its slot before it expires. */
  releaseSession(address: string, session: string): void {
    if (this.options.maxConnections === 0) return;
    this.options.store.disconnect(address, session).catch(() => {});
  }

  refreshSessions(slots: readonly HeldSlot[]): Promise<void> {
    return this.options.maxConnections > 0 ? this.options.store.refresh(slots) : Promise.resolve();
  }

  /**
   * The check a join runs when it is about to start a new engine session (StreamManager's
   * `beforeEngineStart`); undefined when the limit is off, so a join costs nothing then.
   */
  startCheck(address: string, start: string): (() => Promise<void>) | undefined {
    const limit = this.options.maxNewSessionsPerMinute;
    if (limit === 0) return undefined;
    return async () => {
      const waitMs = await this.options.store.start(address, start, limit, MINUTE_MS);
      if (waitMs === 0) return;
      const seconds = Math.ceil(waitMs / 1000);
      throw new TooManyRequestsError(
        'too_many_new_sessions',
        `${address} started PROXY_MAX_NEW_SESSIONS_PER_MINUTE=${limit} new engine sessions within the last minute; ` +
          `channels already playing can be joined now, a new one in ${seconds} s (the operator can raise the limit, 0 = none)`,
        seconds,
      );
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Resolves true when the slot was taken (false when the limit is off); throws at the limit. */
  private async take(slot: HeldSlot): Promise<boolean> {
    const limit = this.options.maxConnections;
    if (limit === 0) return false;
    if (await this.options.store.connect(slot, limit)) return true;
    throw new TooManyRequestsError(
      'too_many_connections',
      `${slot.address} already has PROXY_MAX_CONNECTIONS_PER_ADDRESS=${limit} players (TS connections and HLS sessions); ` +
        'close one first (the operator can raise the limit, 0 = none)',
      CONNECTIONS_RETRY_SECONDS,
    );
  }

  private async refreshHeld(): Promise<void> {
    try {
      await this.options.store.refresh([...this.held.values()]);
    } catch (err) {
      this.options.logger.warn('client slot refresh failed', { error: (err as Error).message });
    }
  }
}
