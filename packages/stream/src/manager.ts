// StreamManager: a worker's streams — join and leave clients, own or follow each stream, take over.

import type { ClientInfo } from '@acestream-proxy/clients';
import type { StreamEvent, WorkerPresence } from '@acestream-proxy/coordination';
import { EngineError, type EngineErrorCode } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { type ClientSink, type FanoutClient, type FanoutSettings, StreamFanout } from './fanout.js';
import type { StreamState } from './metadata.js';
import type { OwnedStream } from './owned-stream.js';
import { OwnerRole, type OwnerRoleOptions } from './owner-role.js';
import { countersOf, type WorkerSnapshot, WorkerStats } from './stats.js';

/** Everything the owner side needs, plus what every worker needs to serve and watch its streams. */
export interface StreamManagerOptions extends Omit<OwnerRoleOptions, 'onOwnershipLost' | 'onStopped' | 'stats'> {
  presence: WorkerPresence;
  fanout: FanoutSettings;
  /** How often this worker refreshes its clients' records (PROXY_HEARTBEAT_INTERVAL), ms. */
  heartbeatIntervalMs: number;
}

/** A client's place in a stream; `leave()` when its connection closes. */
export interface Membership {
  readonly client: FanoutClient;
  leave(): Promise<void>;
}

/** What a joining player's request adds to its join. */
export interface JoinOptions {
  /**
   * Called when this join is about to START a new engine session (it won the stream's claim),
   * never when it follows a stream that runs; a rejection releases the claim and fails the join
   * with that error, before any engine is asked (the per address limit on new sessions).
   */
  beforeEngineStart?: () => Promise<void>;
}

/** What this worker runs for a stream it has clients of (owner or not). */
interface LocalStream {
  fanout: StreamFanout;
  stopListening: () => Promise<void>;
}

/** Owner checks (a third of PROXY_OWNER_TTL_MS apart) before a stream with no owner and no metadata counts as stopped. */
const ORPHAN_ROUNDS = 4;

const RUNNING: ReadonlySet<StreamState | undefined> = new Set(['connecting', 'buffering', 'active']);

export class StreamManager {
  private readonly owner: OwnerRole;
  private readonly ensuring = new Map<StreamId, Promise<void>>();
  /** Errors of refused `beforeEngineStart` checks: joins that shared the refused start retry. */
  private readonly refusedStarts = new WeakSet<object>();
  private readonly local = new Map<StreamId, Promise<LocalStream>>();
  /** The opened fanouts of `local`, readable without awaiting. */
  private readonly fanouts = new Set<StreamFanout>();
  readonly stats = new WorkerStats();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopDeathWatch: (() => Promise<void>) | null = null;
  /** Owner checks in a row that found a stream without owner or metadata (see watchOwner). */
  private readonly orphanRounds = new Map<StreamId, number>();
  private closed = false;

  constructor(private readonly options: StreamManagerOptions) {
    this.owner = new OwnerRole({
      ...options,
      stats: this.stats,
      onOwnershipLost: (id) => void this.watchOwner(id),
      onStopped: (id) => void this.closeLocal(id),
    });
  }

  /** Starts heartbeats and the death watch; call once before serving. */
  async start(): Promise<void> {
    const { presence, workerId, election, heartbeatIntervalMs } = this.options;
    await presence.beat(workerId);
    this.stopDeathWatch = await presence.onDeath((dead) => void this.onWorkerDeath(dead));
    const beat = Math.max(100, Math.floor(election.ttlMs / 3));
    this.every(beat, async () => {
      await presence.beat(workerId);
      for (const id of this.local.keys()) if (!this.owner.owns(id)) await this.watchOwner(id);
    });
    this.every(heartbeatIntervalMs, () => this.heartbeat());
  }

  /**
   * Makes sure the stream runs somewhere in the cluster (claiming it if nobody owns it) and adds
   * the client. Rejects with EngineError when no engine would serve it; nothing is left behind.
   */
  async join(id: StreamId, info: ClientInfo, sink: ClientSink, options: JoinOptions = {}): Promise<Membership> {
    this.owner.cancelGrace(id);
    // A stream this worker already serves is running (or watched for takeover): a joiner of it
    // skips the claim and metadata round trips.
    if (!this.local.has(id)) await this.ensureRunning(id, options.beforeEngineStart);
    const { registry, bus } = this.options;
    await registry.register(id, info);
    const local = await this.localStream(id);
    const first = local.fanout.clients.size === 0;
    const client = local.fanout.add(info.clientId, sink);
    this.stats.clientsJoined++;
    // The owner needs the news only when the stream may be in its grace period, which it cannot
    // be while this worker has clients of it: one event per worker, not one per join.
    if (first) {
      void bus
        .publish({
          type: 'client_connected',
          stream_id: id,
          client_id: info.clientId,
          worker_id: info.workerId,
        })
        .catch(() => {});
    }
    let left = false;
    return {
      client,
      leave: async () => {
        if (left) return;
        left = true;
        local.fanout.remove(client);
        if (local.fanout.clients.size === 0) await this.closeLocal(id, local);
        const remaining = await registry.unregister(id, info.clientId);
        await bus.publish({
          type: 'client_disconnected',
          stream_id: id,
          client_id: info.clientId,
          worker_id: info.workerId,
          remaining,
        });
        if (remaining === 0) this.owner.scheduleGrace(id);
      },
    };
  }

  /**
   * Registers a player this worker does not hold a socket of (an HLS session, `info.ttlMs` set)
   * and makes sure the stream runs. Rejects with EngineError like `join`.
   */
  async register(id: StreamId, info: ClientInfo, options: JoinOptions = {}): Promise<void> {
    this.owner.cancelGrace(id);
    await this.ensureRunning(id, options.beforeEngineStart);
    await this.options.registry.register(id, info);
    this.stats.clientsJoined++;
    void this.options.bus
      .publish({ type: 'client_connected', stream_id: id, client_id: info.clientId, worker_id: info.workerId })
      .catch(() => {});
  }

  /** Makes sure the stream runs (claims it when its owner is gone), for players without a socket here. */
  ensure(id: StreamId): Promise<void> {
    return this.ensureRunning(id);
  }

  /** Stops a stream cluster-wide: here if this worker owns it, otherwise by asking its owner. */
  async stop(id: StreamId): Promise<boolean> {
    if (this.owner.owns(id)) {
      await this.owner.stop(id, 'stopped', 'stopped through the management API');
      return true;
    }
    if (!(await this.options.metadata.get(id))) return false;
    await this.options.bus.publish({
      type: 'stream_stop',
      stream_id: id,
      reason: 'stopped through the management API',
    });
    return true;
  }

  /** Disconnects one client wherever it is connected. */
  async dropClient(id: StreamId, clientId: string): Promise<void> {
    await this.options.bus.publish({ type: 'client_stop', stream_id: id, client_id: clientId });
  }

  /**
   * Graceful stop: ends local clients and stops the streams this worker owns (engine session,
   * `stream_stopped` so other workers end theirs, keys). Players reconnect to a live worker.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.stopDeathWatch?.();
    await Promise.allSettled([...this.ensuring.values()]);
    const localIds = [...this.local.keys()];
    await Promise.all(localIds.map((id) => this.closeLocal(id)));
    await Promise.all(this.owner.streams().map((s) => this.owner.stop(s.id, 'stopped', 'the proxy is shutting down')));
    await this.owner.close();
    await this.options.presence.leave(this.options.workerId).catch(() => {});
  }

  /** This worker's counters, and its clients and streams right now (for /metrics). */
  snapshot(): WorkerSnapshot {
    let clients = 0;
    for (const fanout of this.fanouts) clients += fanout.clients.size;
    return {
      counters: countersOf(this.stats),
      clients,
      streamsServed: this.fanouts.size,
      streamsOwned: this.owner.streams().length,
    };
  }

  ownedStreams(): OwnedStream[] {
    return this.owner.streams();
  }

  /** Refreshes every local client's record in one round trip (not one per client). */
  async heartbeat(): Promise<void> {
    const activity = [];
    for (const [id, pending] of this.local) {
      const local = await pending.catch(() => null);
      for (const c of local?.fanout.clients ?? []) {
        const lag = Math.max(0, local!.fanout.newestIndex - c.cursor + 1);
        activity.push({ streamId: id, clientId: c.clientId, bytesSent: c.bytesSent, skips: c.skips, lag });
      }
    }
    await this.options.registry.heartbeat(activity);
    for (const stream of this.owner.streams()) {
      if ((await this.options.registry.sweep(stream.id)) === 0) this.owner.scheduleGrace(stream.id);
    }
  }

  private async ensureRunning(id: StreamId, beforeEngineStart?: () => Promise<void>): Promise<void> {
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

  // Owns the stream if nobody does; otherwise waits until its owner has the engine session.
  private async claimOrFollow(id: StreamId, beforeEngineStart?: () => Promise<void>): Promise<void> {
    const { election, metadata, workerId } = this.options;
    const deadline = Date.now() + this.options.stream.initTimeoutMs;
    for (;;) {
      await this.owner.whenStopped(id);
      if (this.owner.owns(id)) return;
      const fence = await election.claim(id, workerId);
      if (fence) {
        await beforeEngineStart?.().catch(async (err) => {
          await election.release(id, fence).catch(() => {});
          // A first claim made the epoch: nothing of a refused start is left behind.
          if (fence.epoch === 1) await election.drop(id).catch(() => {});
          if (typeof err === 'object' && err !== null) this.refusedStarts.add(err);
          throw err;
        });
        return this.owner.start(id, fence);
      }
      const meta = await metadata.get(id);
      if (RUNNING.has(meta?.state)) return;
      if (meta?.state === 'error') {
        throw new EngineError((meta.error_code as EngineErrorCode) ?? 'engine_refused', meta.error_message ?? 'stream failed');
      }
      if (Date.now() > deadline) throw new EngineError('engine_timeout', 'the stream did not start in time on its owner');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private localStream(id: StreamId): Promise<LocalStream> {
    let pending = this.local.get(id);
    if (!pending) {
      pending = this.openLocal(id);
      pending.catch(() => this.local.delete(id));
      this.local.set(id, pending);
    }
    return pending;
  }

  private async openLocal(id: StreamId): Promise<LocalStream> {
    const logger = this.options.logger.child({ stream_id: id });
    const fanout = new StreamFanout(id, this.options.store, this.options.fanout, logger, this.stats);
    const stopListening = await this.options.bus.listen(id, (event) => this.onEvent(id, event));
    await fanout.open();
    this.fanouts.add(fanout);
    return { fanout, stopListening };
  }

  private async closeLocal(id: StreamId, expected?: LocalStream): Promise<void> {
    const pending = this.local.get(id);
    const local = await pending?.catch(() => null);
    if (!local || (expected && local !== expected)) return;
    this.local.delete(id);
    this.orphanRounds.delete(id);
    this.fanouts.delete(local.fanout);
    await local.fanout.close();
    await local.stopListening();
  }

  // What a worker serving clients of the stream reacts to; the owner's events are OwnerRole's.
  private onEvent(id: StreamId, event: StreamEvent): void {
    if (event.type === 'stream_stopped') void this.closeLocal(id);
    else if (event.type === 'client_stop') {
      void this.local.get(id)?.then((local) => {
        for (const client of local.fanout.clients) if (client.clientId === event.client_id) client.sink.end();
      });
    }
  }

  /** A stream this worker serves but does not own: take it over if its owner is gone. */
  private async watchOwner(id: StreamId, deadWorker?: string): Promise<void> {
    if (this.closed || this.owner.owns(id) || !this.local.has(id)) return;
    const { election, presence, metadata, workerId, logger } = this.options;
    try {
      const current = await election.owner(id);
      let fence = null;
      if (current === null) {
        // No owner and no metadata: the stream was stopped and its stop event missed, or Redis
        // restarted empty and the owner has not claimed it back yet: give it a few rounds.
        if (!(await metadata.get(id))) {
          const misses = (this.orphanRounds.get(id) ?? 0) + 1;
          this.orphanRounds.set(id, misses);
          if (misses >= ORPHAN_ROUNDS) {
            this.orphanRounds.delete(id);
            return void this.closeLocal(id);
          }
          return;
        }
        fence = await election.claim(id, workerId);
      } else if (current === deadWorker || !(await presence.isAlive(current))) {
        fence = await election.takeover(id, workerId, current);
      }
      this.orphanRounds.delete(id);
      if (!fence) return;
      this.stats.takeovers++;
      logger.warn('owner gone, taking the stream over', {
        stream_id: id,
        previous_owner: current,
        epoch: fence.epoch,
      });
      const local = await this.local.get(id)?.catch(() => null);
      local?.fanout.onNextData((silenceMs) => this.stats.timings.takeoverGap(silenceMs / 1000));
      await this.owner.start(id, fence);
    } catch (err) {
      logger.warn('takeover failed', { stream_id: id, error: (err as Error).message });
    }
  }

  private async onWorkerDeath(dead: string): Promise<void> {
    if (dead === this.options.workerId) return;
    this.options.logger.warn('worker death announced', { dead_worker: dead });
    // Take over first: the dead worker may have owned streams this worker serves.
    for (const id of this.local.keys()) await this.watchOwner(id, dead);
    for (const stream of this.owner.streams()) {
      if ((await this.options.registry.removeWorker(stream.id, dead)) === 0) this.owner.scheduleGrace(stream.id);
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((err) => this.options.logger.warn('periodic task failed', { error: (err as Error).message }));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
