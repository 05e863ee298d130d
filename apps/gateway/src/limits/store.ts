// Per client address counters behind the limits (issue 20): the contract and its in-memory twin.

/** A slot a player holds at its address, with how long it lasts unless refreshed. */
export interface HeldSlot {
  address: string;
  /** The player: a TS client id or an HLS session id. */
  player: string;
  ttlMs: number;
}

/**
 * Cluster-wide per address: the players connected (each slot expiring unless its worker refreshes
 * it, so a dead worker's slots free themselves) and the engine sessions started within a window.
 */
export interface LimitStore {
  /**
   * Gives `player` a slot at `address` for `ttlMs`, unless the address holds `limit` live slots
   * already (0 = no limit). A player already holding one is refreshed, never counted twice.
   * Resolves true when the player holds a slot.
   */
  connect(slot: HeldSlot, limit: number): Promise<boolean>;
  /** Extends slots (in one round trip); a slot that expired meanwhile stays gone. */
  refresh(slots: readonly HeldSlot[]): Promise<void>;
  disconnect(address: string, player: string): Promise<void>;
  /**
   * Counts a new engine session (`start`, a unique id) at `address` unless `limit` were started
   * within the last `windowMs`. Resolves 0 when counted, else the ms until the oldest of them leaves
   * the window.
   */
  start(address: string, start: string, limit: number, windowMs: number): Promise<number>;
  /** Live slots at an address (tests, views). */
  connections(address: string): Promise<number>;
}

/** Embedded mode: one process, so the same rules over maps. */
export class MemoryLimitStore implements LimitStore {
  /** Address → player → when its slot expires (ms). */
  private readonly slots = new Map<string, Map<string, number>>();
  /** Address → when each start within the window happened (ms), oldest first. */
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  async connect(slot: HeldSlot, limit: number): Promise<boolean> {
    const players = this.live(slot.address);
    if (limit > 0 && !players.has(slot.player) && players.size >= limit) return false;
    players.set(slot.player, this.now() + slot.ttlMs);
    this.slots.set(slot.address, players);
    return true;
  }

  async refresh(slots: readonly HeldSlot[]): Promise<void> {
    const now = this.now();
    for (const slot of slots) {
      const players = this.live(slot.address);
      if (players.has(slot.player)) players.set(slot.player, now + slot.ttlMs);
    }
  }

  async disconnect(address: string, player: string): Promise<void> {
    const players = this.slots.get(address);
    players?.delete(player);
    if (players?.size === 0) this.slots.delete(address);
  }

  async start(address: string, _start: string, limit: number, windowMs: number): Promise<number> {
    const now = this.now();
    const recent = (this.starts.get(address) ?? []).filter((at) => at > now - windowMs);
    this.starts.set(address, recent);
    if (recent.length >= limit) return Math.max(1, Math.ceil(recent[0]! + windowMs - now));
    recent.push(now);
    return 0;
  }

  async connections(address: string): Promise<number> {
    return this.live(address).size;
  }

  /** The address's slots without the expired ones. */
  private live(address: string): Map<string, number> {
    const players = this.slots.get(address) ?? new Map<string, number>();
    const now = this.now();
    for (const [player, expiresAt] of players) if (expiresAt <= now) players.delete(player);
    if (players.size === 0) this.slots.delete(address);
    return players;
  }
}
