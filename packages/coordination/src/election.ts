// Owner election per stream with fencing tokens (DESIGN §5): the contract and its Redis implementation.

import type { Fence } from '@acestream-proxy/buffer';
import type { Keys, StreamId } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';

/** A fence as a claim or takeover makes it: it always says when its lease started. */
export interface ClaimedFence extends Fence {
  /** performance.now() when the claim was sent: the holder counts its lease from then (Ownership). */
  readonly leaseFrom: number;
}

/**
 * A renewal's answer. Refused: the token is stale and the caller must stop acting as owner;
 * `owner` is who holds the stream now (null: nobody, the key expired or Redis lost it).
 */
export type Renewal = { readonly renewed: true } | { readonly renewed: false; readonly owner: string | null };

export interface OwnerElection {
  /** Claims the stream for `workerId`; the fence when won, null when another worker owns it. */
  claim(id: StreamId, workerId: string): Promise<ClaimedFence | null>;
  /** Extends ownership, or says who owns the stream instead (one round trip either way). */
  renew(id: StreamId, fence: Fence): Promise<Renewal>;
  /** Claims the stream from `deadWorkerId` (whose key has not expired yet) or from nobody. */
  takeover(id: StreamId, workerId: string, deadWorkerId: string): Promise<ClaimedFence | null>;
  release(id: StreamId, fence: Fence): Promise<boolean>;
  /**
   * A start under `fence` failed: releases the claim and deletes the epoch, unless another worker
   * owns or claimed the stream since (its epoch stays). Nothing of the claim is left behind.
   */
  abandon(id: StreamId, fence: Fence): Promise<boolean>;
  /** Worker id of the current owner, null when nobody owns the stream. */
  owner(id: StreamId): Promise<string | null>;
  /** Deletes the epoch counter too (the stream is gone). */
  drop(id: StreamId): Promise<void>;
  readonly ttlMs: number;
}

const COMMANDS = new URL('../src/commands/', import.meta.url);

type TwoKeyCommand = (owner: string, epoch: string, ...args: Array<string | number>) => Promise<number>;
/** The renew script answers the integer 1, or the owner key's value (a string) or nil. */
type RenewCommand = (owner: string, epoch: string, ...args: Array<string | number>) => Promise<1 | string | null>;

export class RedisOwnerElection implements OwnerElection {
  private readonly claimCommand: TwoKeyCommand;
  private readonly renewCommand: RenewCommand;
  private readonly releaseCommand: TwoKeyCommand;
  private readonly takeoverCommand: TwoKeyCommand;
  private readonly dropCommand: TwoKeyCommand;
  private readonly abandonCommand: TwoKeyCommand;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly ttlMs: number,
  ) {
    const commands = defineScripts<
      Record<'aceClaimOwner' | 'aceReleaseOwner' | 'aceTakeoverOwner' | 'aceDropOwner' | 'aceAbandonOwner', TwoKeyCommand> & {
        aceRenewOwner: RenewCommand;
      }
    >(redis, COMMANDS, {
      aceClaimOwner: 'claim-2',
      aceRenewOwner: 'renew-2',
      aceReleaseOwner: 'release-2',
      aceTakeoverOwner: 'takeover-2',
      aceDropOwner: 'drop-2',
      aceAbandonOwner: 'abandon-2',
    });
    this.claimCommand = commands.aceClaimOwner;
    this.renewCommand = commands.aceRenewOwner;
    this.releaseCommand = commands.aceReleaseOwner;
    this.takeoverCommand = commands.aceTakeoverOwner;
    this.dropCommand = commands.aceDropOwner;
    this.abandonCommand = commands.aceAbandonOwner;
  }

  async claim(id: StreamId, workerId: string): Promise<ClaimedFence | null> {
    const leaseFrom = performance.now();
    const epoch = await this.claimCommand(this.keys.owner(id), this.keys.ownerEpoch(id), workerId, this.ttlMs);
    return epoch > 0 ? { workerId, epoch, leaseFrom } : null;
  }

  async renew(id: StreamId, fence: Fence): Promise<Renewal> {
    const answer = await this.renewCommand(
      this.keys.owner(id),
      this.keys.ownerEpoch(id),
      fence.workerId,
      fence.epoch,
      this.ttlMs,
    );
    // A worker id comes back as a string (even "1"), so the integer 1 can only mean renewed.
    return answer === 1 ? { renewed: true } : { renewed: false, owner: answer };
  }

  async takeover(id: StreamId, workerId: string, deadWorkerId: string): Promise<ClaimedFence | null> {
    const leaseFrom = performance.now();
    const epoch = await this.takeoverCommand(this.keys.owner(id), this.keys.ownerEpoch(id), workerId, this.ttlMs, deadWorkerId);
    return epoch > 0 ? { workerId, epoch, leaseFrom } : null;
  }

  async release(id: StreamId, fence: Fence): Promise<boolean> {
    return (await this.releaseCommand(this.keys.owner(id), this.keys.ownerEpoch(id), fence.workerId, fence.epoch)) === 1;
  }

  async abandon(id: StreamId, fence: Fence): Promise<boolean> {
    return (await this.abandonCommand(this.keys.owner(id), this.keys.ownerEpoch(id), fence.workerId, fence.epoch)) === 1;
  }

  owner(id: StreamId): Promise<string | null> {
    return this.redis.get(this.keys.owner(id));
  }

  async drop(id: StreamId): Promise<void> {
    // Not an unconditional delete: a worker that claimed the stream since would lose its token.
    await this.dropCommand(this.keys.owner(id), this.keys.ownerEpoch(id));
  }
}

/** The embedded-mode twin: one process, so ownership is a map with the same token rules. */
export class MemoryOwnerElection implements OwnerElection {
  private readonly owners = new Map<StreamId, { workerId: string; expiresAt: number }>();
  private readonly epochs = new Map<StreamId, number>();

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Streams it holds an owner or an epoch of (a refused start must leave this unchanged). */
  get size(): number {
    return new Set([...this.owners.keys(), ...this.epochs.keys()]).size;
  }

  async claim(id: StreamId, workerId: string): Promise<ClaimedFence | null> {
    const current = this.owners.get(id);
    if (current && current.expiresAt > this.now()) return null;
    const epoch = (this.epochs.get(id) ?? 0) + 1;
    this.epochs.set(id, epoch);
    this.owners.set(id, { workerId, expiresAt: this.now() + this.ttlMs });
    // By the performance clock, as the Redis twin's: Ownership counts the lease on that clock.
    return { workerId, epoch, leaseFrom: performance.now() };
  }

  async takeover(id: StreamId, workerId: string, deadWorkerId: string): Promise<ClaimedFence | null> {
    const current = this.owners.get(id);
    if (current && current.expiresAt > this.now() && current.workerId !== deadWorkerId) return null;
    this.owners.delete(id);
    return this.claim(id, workerId);
  }

  async renew(id: StreamId, fence: Fence): Promise<Renewal> {
    if (!this.holds(id, fence)) return { renewed: false, owner: await this.owner(id) };
    this.owners.set(id, { workerId: fence.workerId, expiresAt: this.now() + this.ttlMs });
    return { renewed: true };
  }

  async release(id: StreamId, fence: Fence): Promise<boolean> {
    if (!this.holds(id, fence)) return false;
    this.owners.delete(id);
    return true;
  }

  async abandon(id: StreamId, fence: Fence): Promise<boolean> {
    const current = this.owners.get(id);
    const lastClaim = current && current.expiresAt > this.now() ? current.workerId === fence.workerId : true;
    if (!lastClaim || this.epochs.get(id) !== fence.epoch) return false;
    this.owners.delete(id);
    this.epochs.delete(id);
    return true;
  }

  async owner(id: StreamId): Promise<string | null> {
    const current = this.owners.get(id);
    return current && current.expiresAt > this.now() ? current.workerId : null;
  }

  async drop(id: StreamId): Promise<void> {
    if ((await this.owner(id)) !== null) return;
    this.epochs.delete(id);
  }

  private holds(id: StreamId, fence: Fence): boolean {
    const current = this.owners.get(id);
    return (
      !!current && current.expiresAt > this.now() && current.workerId === fence.workerId && this.epochs.get(id) === fence.epoch
    );
  }
}
