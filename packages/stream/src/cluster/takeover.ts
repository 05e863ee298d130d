// The takeover watch: a stream this worker serves but does not own is claimed when its owner is gone.

import type { OwnerElection, WorkerPresence } from '@acestream-proxy/coordination';
import type { StreamId } from '@acestream-proxy/keys';
import type { StreamEvents } from '../events.js';
import type { StreamFanout } from '../fanout/fanout.js';
import type { Logger } from '../logger.js';
import type { MetadataStore } from '../metadata.js';
import type { OwnerRole } from '../owner/owner-role.js';
import type { WorkerStats } from '../stats.js';

/** What the watch needs of the worker's streams (the manager's local fanouts). */
export interface ServedStreams {
  /** Whether this worker serves players of the stream. */
  serves(id: StreamId): boolean;
  /** The stream's fanout here, once open; null when it is not served. */
  fanout(id: StreamId): Promise<StreamFanout | null>;
  /** Ends this worker's players of a stream that is gone. */
  close(id: StreamId): Promise<void>;
}

export interface TakeoverOptions {
  workerId: string;
  election: OwnerElection;
  presence: WorkerPresence;
  metadata: MetadataStore;
  owner: OwnerRole;
  served: ServedStreams;
  stats: WorkerStats;
  lifecycle: StreamEvents;
  logger: Logger;
}

/** Owner checks (a third of PROXY_OWNER_TTL_MS apart) before a stream with no owner and no metadata counts as stopped. */
export const ORPHAN_ROUNDS = 4;

/**
 * Owner checks in a row with neither owner nor metadata before a worker that lost Redis claims a
 * stream it serves: the stream's own owner, if it kept its lease, claims it back within one.
 */
export const RECLAIM_ROUNDS = 2;

export class TakeoverWatch {
  /** Owner checks in a row that found a stream without owner or metadata. */
  private readonly orphanRounds = new Map<StreamId, number>();
  /**
   * Streams served here while Redis was unreachable: a missing owner and metadata may be Redis'
   * loss, not a stop. The value: checks without owner and metadata before claiming it.
   */
  private readonly lostWithRedis = new Map<StreamId, number>();
  /** One check per stream at a time (a check waits on Redis, and checks come every third of the TTL). */
  private readonly checking = new Map<StreamId, Promise<void>>();
  private closed = false;

  constructor(private readonly options: TakeoverOptions) {}

  /**
   * Redis was unreachable from here: what it holds of these streams may be gone when it
   * answers again (restarted empty, or owners' keys expired). They are claimed, not closed, when
   * found without owner and metadata.
   */
  redisLost(ids: Iterable<StreamId>): void {
    for (const id of ids) if (!this.lostWithRedis.has(id)) this.lostWithRedis.set(id, RECLAIM_ROUNDS);
  }

  /**
   * This worker owned the stream until its lease ran out with Redis unreachable: nobody else
   * would claim it back for it, so it claims at the first check that finds it unowned.
   */
  leaseExpired(id: StreamId): void {
    // Only a stream with players here is checked (and forgotten when they go): no entry otherwise.
    if (this.options.served.serves(id)) this.lostWithRedis.set(id, 1);
  }

  /**
   * Checks the stream's owner: takes the stream over when the owner is dead (or is `deadWorker`)
   * or its claim expired; closes it here when it has had neither owner nor metadata for
   * ORPHAN_ROUNDS checks. Never rejects: a failed check is logged and the next one tries again.
   */
  check(id: StreamId, deadWorker?: string): Promise<void> {
    const pending = this.checking.get(id);
    // A check already running answers a periodic one; a death announcement gets its own check
    // right after it (the running one may have found the dead owner still alive).
    if (pending && deadWorker === undefined) return pending;
    const check = (pending ?? Promise.resolve())
      .then(() => this.checkOnce(id, deadWorker))
      .finally(() => {
        if (this.checking.get(id) === check) this.checking.delete(id);
      });
    this.checking.set(id, check);
    return check;
  }

  private async checkOnce(id: StreamId, deadWorker?: string): Promise<void> {
    const { election, presence, metadata, workerId, logger, owner, served } = this.options;
    if (this.closed || owner.owns(id) || !served.serves(id)) return;
    try {
      const current = await election.owner(id);
      let fence = null;
      if (current === null) {
        // No owner and no metadata: the stream was stopped and its stop event missed, or Redis
        // restarted empty and the owner has not claimed it back yet: give it a few rounds.
        if (!(await metadata.get(id))) {
          const misses = (this.orphanRounds.get(id) ?? 0) + 1;
          this.orphanRounds.set(id, misses);
          const rounds = this.lostWithRedis.get(id);
          if (rounds !== undefined) {
            if (misses < rounds) return;
          } else if (misses >= ORPHAN_ROUNDS) {
            this.orphanRounds.delete(id);
            return void served.close(id);
          } else {
            return;
          }
        }
        fence = await election.claim(id, workerId);
      } else if (current === deadWorker || !(await presence.isAlive(current))) {
        fence = await election.takeover(id, workerId, current);
      }
      this.orphanRounds.delete(id);
      // Someone owns it (another worker, or this one now): Redis has what it needs again.
      this.lostWithRedis.delete(id);
      if (!fence) return;
      this.options.stats.takeovers++;
      logger.warn('owner gone, taking the stream over', { stream_id: id, previous_owner: current, epoch: fence.epoch });
      this.options.lifecycle.emit({ type: 'owner_takeover', stream_id: id, previous_owner: current, epoch: fence.epoch });
      const fanout = await served.fanout(id);
      fanout?.onNextData((silenceMs) => this.options.stats.timings.takeoverGap(silenceMs / 1000));
      await owner.start(id, fence);
    } catch (err) {
      logger.warn('takeover failed', { stream_id: id, error: (err as Error).message });
    }
  }

  /** The stream is no longer served here: its orphan count goes. */
  forget(id: StreamId): void {
    this.orphanRounds.delete(id);
    this.lostWithRedis.delete(id);
  }

  close(): void {
    this.closed = true;
  }
}
