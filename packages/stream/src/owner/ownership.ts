// This worker's claim on one stream: the fencing token, its renewal, and claiming it back after Redis lost it.

import type { ClaimedFence, OwnerElection, WorkerPresence } from '@acestream-proxy/coordination';
import type { StreamId } from '@acestream-proxy/keys';
import type { Logger } from '../logger.js';
import type { FenceHolder } from './append-queue.js';

export interface OwnershipOptions {
  workerId: string;
  election: OwnerElection;
  /** Refreshed before the stream is claimed back, so no worker takes this one for dead. */
  presence: WorkerPresence;
  logger: Logger;
}

/** What the owner does when the claim is claimed back or lost (see `hold`). */
export interface OwnershipHooks {
  /** Claimed back after Redis lost the owner key: the stream puts its metadata and index back. */
  onReclaimed(fence: ClaimedFence): Promise<void>;
  /** A renewal found another worker owns the stream now. */
  onLost(): void;
  /**
   * The lease ran out by this worker's own clock with no renewal answered (Redis unreachable):
   * another worker may own the stream now, so reading must end (DESIGN §18).
   */
  onExpired(): void;
}

export class Ownership implements FenceHolder {
  private hooks: OwnershipHooks | null = null;
  private released = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private claimingBack: Promise<boolean> | null = null;
  private renewing = false;
  /** A renewal was refused before `hold`: the stream had not started, so nothing was claimed back yet. */
  private refusedBeforeHold = false;
  /** performance.now() until which the claim surely holds: its last answered renewal's send time + TTL. */
  private leaseUntil: number;

  /**
   * Renews the claim every third of the owner TTL from now on, so a start slower than the TTL
   * (an engine slow to open its session) keeps it: no other worker claims the stream meanwhile
   * and opens a second engine session. `release` ends the renewals.
   */
  constructor(
    readonly id: StreamId,
    /** Replaced when ownership is claimed back after Redis lost it. */
    public fence: ClaimedFence,
    private readonly options: OwnershipOptions,
  ) {
    this.leaseUntil = fence.leaseFrom + options.election.ttlMs;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(options.election.ttlMs / 3)));
    this.renewTimer.unref();
  }

  /**
   * Whether the lease still holds by this worker's clock. It runs from when the last answered
   * claim or renewal was sent, so it ends no later than Redis' expiry of the owner key: once it
   * is over, another worker may have claimed the stream, whatever this one has heard.
   */
  get leaseValid(): boolean {
    return !this.released && performance.now() < this.leaseUntil;
  }

  /**
   * The stream started under this claim: from now on a lost claim is claimed back or reported
   * (`hooks`), and so is a lease that runs out. Before this, a refused token is not claimed back.
   */
  hold(hooks: OwnershipHooks): void {
    if (this.released) return;
    this.hooks = hooks;
    // Refused during the start: claim it back now, or hear that another worker owns it.
    if (this.refusedBeforeHold) void this.renew();
    this.armExpiry();
  }

  /** The owner is done with this claim (stopping the stream, or it lost it): nothing is renewed or claimed back. */
  release(): void {
    this.released = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }

  async reclaim(): Promise<ClaimedFence | null> {
    try {
      return (await this.claimBack()) ? this.fence : null;
    } catch (err) {
      this.options.logger.warn('could not claim the stream back', { stream_id: this.id, error: (err as Error).message });
      return null;
    }
  }

  /** One renewal: kept, claimed back, or lost (`onLost`). Redis unreachable: kept, and logged. */
  async renew(): Promise<void> {
    if (this.released) return;
    // A renewal still unanswered (a slow or cut link) is not sent again on top of it.
    if (this.renewing) return;
    this.renewing = true;
    try {
      const sentAt = performance.now();
      const renewal = await this.options.election.renew(this.id, this.fence);
      if (renewal.renewed) return this.extend(sentAt);
      if (!this.hooks) {
        this.refusedBeforeHold = true;
        return;
      }
      if (await this.claimBack(renewal.owner)) return;
    } catch (err) {
      // Redis unreachable: keep reading; the append's fencing check protects the buffer.
      this.options.logger.warn('ownership renewal failed', { stream_id: this.id, error: (err as Error).message });
      return;
    } finally {
      this.renewing = false;
    }
    // Released meanwhile (a teardown releases the claim on purpose): nothing was lost.
    if (this.released || !this.hooks) return;
    this.options.logger.warn('lost ownership of the stream, stopping the reader', { stream_id: this.id });
    this.release();
    this.hooks.onLost();
  }

  /**
   * The token was refused (by a renewal or an append). When nobody owns the stream, Redis lost the
   * key (restarted empty, or it expired during an outage) and no other worker claimed it: claim
   * it back and carry on reading. Resolves whether this worker owns it now. One at a time.
   * `owner`: who a refused renewal found owning the stream (absent: an append was refused).
   */
  private claimBack(owner?: string | null): Promise<boolean> {
    this.claimingBack ??= this.tryClaimBack(owner).finally(() => {
      this.claimingBack = null;
    });
    return this.claimingBack;
  }

  private async tryClaimBack(owner?: string | null): Promise<boolean> {
    const { election, presence, workerId, logger } = this.options;
    const ours = () => this.hooks !== null && !this.released;
    if (!ours()) return false;
    if (owner === undefined) {
      // An append was refused: maybe under a token a claim back has replaced since.
      const sentAt = performance.now();
      const renewal = await election.renew(this.id, this.fence);
      if (renewal.renewed) {
        this.extend(sentAt);
        return true;
      }
      owner = renewal.owner;
    }
    if (!ours() || owner !== null) return false;
    // Alive before owning, so no worker takes this for a dead owner's stream.
    await presence.beat(workerId);
    const fence = await election.claim(this.id, workerId);
    if (!fence) return false;
    if (!ours()) {
      await election.release(this.id, fence);
      return false;
    }
    this.fence = fence;
    this.extend(fence.leaseFrom);
    await this.hooks!.onReclaimed(fence);
    logger.warn('ownership lost with Redis, claimed back', { stream_id: this.id, epoch: fence.epoch });
    return true;
  }

  /** A claim or renewal sent at `sentAt` was answered: the lease runs a TTL from then. */
  private extend(sentAt: number): void {
    this.leaseUntil = Math.max(this.leaseUntil, sentAt + this.options.election.ttlMs);
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.released || !this.hooks) return;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null;
        if (this.released || !this.hooks) return;
        // A renewal answered meanwhile moved the lease on (its timer was re-armed then).
        if (performance.now() < this.leaseUntil) return this.armExpiry();
        this.options.logger.warn('ownership lease ran out with no renewal answered (Redis unreachable?): stopping the reader', {
          stream_id: this.id,
        });
        const { hooks } = this;
        this.release();
        hooks.onExpired();
      },
      Math.max(0, this.leaseUntil - performance.now()),
    );
    this.expiryTimer.unref();
  }
}
