// This worker's claim on one stream: the fencing token, its renewal, and claiming it back after Redis lost it.

import type { Fence } from '@acestream-proxy/buffer';
import type { OwnerElection, WorkerPresence } from '@acestream-proxy/coordination';
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
  onReclaimed(fence: Fence): Promise<void>;
  /** A renewal found another worker owns the stream now. */
  onLost(): void;
}

export class Ownership implements FenceHolder {
  private hooks: OwnershipHooks | null = null;
  private released = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private claimingBack: Promise<boolean> | null = null;

  constructor(
    readonly id: StreamId,
    /** Replaced when ownership is claimed back after Redis lost it. */
    public fence: Fence,
    private readonly options: OwnershipOptions,
  ) {}

  /**
   * The stream started under this claim: renew it every third of the owner TTL from now on,
   * and claim it back when Redis loses it. Before this, a refused token is not claimed back.
   */
  hold(hooks: OwnershipHooks): void {
    if (this.released) return;
    this.hooks = hooks;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.options.election.ttlMs / 3)));
    this.renewTimer.unref();
  }

  /** The owner is done with this claim (stopping the stream, or it lost it): nothing is renewed or claimed back. */
  release(): void {
    this.released = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  async reclaim(): Promise<Fence | null> {
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
    try {
      if (await this.options.election.renew(this.id, this.fence)) return;
      if (await this.claimBack()) return;
    } catch (err) {
      // Redis unreachable: keep reading; the append's fencing check protects the buffer.
      this.options.logger.warn('ownership renewal failed', { stream_id: this.id, error: (err as Error).message });
      return;
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
   */
  private claimBack(): Promise<boolean> {
    this.claimingBack ??= this.tryClaimBack().finally(() => {
      this.claimingBack = null;
    });
    return this.claimingBack;
  }

  private async tryClaimBack(): Promise<boolean> {
    const { election, presence, workerId, logger } = this.options;
    const ours = () => this.hooks !== null && !this.released;
    if (!ours()) return false;
    if (await election.renew(this.id, this.fence)) return true;
    if (!ours() || (await election.owner(this.id)) !== null) return false;
    // Alive before owning, so no worker takes this for a dead owner's stream.
    await presence.beat(workerId);
    const fence = await election.claim(this.id, workerId);
    if (!fence) return false;
    if (!ours()) {
      await election.release(this.id, fence);
      return false;
    }
    this.fence = fence;
    await this.hooks!.onReclaimed(fence);
    logger.warn('ownership lost with Redis, claimed back', { stream_id: this.id, epoch: fence.epoch });
    return true;
  }
}
