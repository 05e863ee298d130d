// Making sure a stream runs somewhere: claim it and start it here, or follow the worker that owns it.

import type { OwnerElection } from '@acestream-proxy/coordination';
import { EngineError, type EngineErrorCode } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { type Logger, logFailure } from '../logger.js';
import type { MetadataStore, StreamState } from '../metadata.js';
import type { OwnerRole } from '../owner/owner-role.js';

export interface ClaimOrFollowOptions {
  workerId: string;
  election: OwnerElection;
  metadata: MetadataStore;
  owner: OwnerRole;
  /** How long a follower waits for the owner's engine session (PROXY_INIT_TIMEOUT), ms. */
  initTimeoutMs: number;
  logger: Logger;
}

const RUNNING: ReadonlySet<StreamState | undefined> = new Set(['connecting', 'buffering', 'active']);

/** How often a follower reads the stream's metadata while its owner starts it, ms. */
const FOLLOW_POLL_MS = 50;

export class ClaimOrFollow {
  private readonly ensuring = new Map<StreamId, Promise<void>>();
  /** Errors of refused `beforeEngineStart` checks: joins that shared the refused start retry. */
  private readonly refusedStarts = new WeakSet<object>();

  constructor(private readonly options: ClaimOrFollowOptions) {}

  /**
   * Resolves once the stream runs (here or on its owner); concurrent joins of one stream share
   * one attempt. Rejects with EngineError when no engine would serve it.
   */
  async ensureRunning(id: StreamId, beforeEngineStart?: () => Promise<void>): Promise<void> {
    for (;;) {
      let pending = this.ensuring.get(id);
      const shared = pending !== undefined;
      if (!pending) {
        pending = this.claimOrFollow(id, beforeEngineStart).finally(() => this.ensuring.delete(id));
        this.ensuring.set(id, pending);
      }
      try {
        return await pending;
      } catch (err) {
        // Another join's start was refused (its address's limit): this one tries on its own.
        if (shared && this.refusedStarts.has(err as object)) continue;
        throw err;
      }
    }
  }

  /** Resolves when every attempt under way has settled (a closing worker waits for them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.ensuring.values()]);
  }

  // Owns the stream if nobody does; otherwise waits until its owner has the engine session.
  private async claimOrFollow(id: StreamId, beforeEngineStart?: () => Promise<void>): Promise<void> {
    const { election, metadata, workerId, owner, logger } = this.options;
    const deadline = Date.now() + this.options.initTimeoutMs;
    for (;;) {
      await owner.whenStopped(id);
      if (owner.owns(id)) return;
      const fence = await election.claim(id, workerId);
      if (fence) {
        await beforeEngineStart?.().catch(async (err) => {
          const failure = logFailure(logger, 'could not undo the claim of a refused start', { stream_id: id });
          await election.release(id, fence).catch(failure);
          // A first claim made the epoch: nothing of a refused start is left behind.
          if (fence.epoch === 1) await election.drop(id).catch(failure);
          if (typeof err === 'object' && err !== null) this.refusedStarts.add(err);
          throw err;
        });
        return owner.start(id, fence);
      }
      const meta = await metadata.get(id);
      if (RUNNING.has(meta?.state)) return;
      if (meta?.state === 'error') {
        throw new EngineError((meta.error_code as EngineErrorCode) ?? 'engine_refused', meta.error_message ?? 'stream failed');
      }
      if (Date.now() > deadline) throw new EngineError('engine_timeout', 'the stream did not start in time on its owner');
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  }
}
