// StreamManager: a worker's streams — join and leave players, heartbeats, and the parts that own, follow or take over.

import type { ClientInfo } from '@acestream-proxy/clients';
import type { StreamEvent, WorkerPresence } from '@acestream-proxy/coordination';
import type { StreamId } from '@acestream-proxy/keys';
import { ClaimOrFollow } from './cluster/claim-or-follow.js';
import { TakeoverWatch } from './cluster/takeover.js';
import { StreamEvents } from './events.js';
import type { ClientSink, FanoutClient } from './fanout/client-writer.js';
import { type FanoutSettings, StreamFanout } from './fanout/fanout.js';
import { logFailure } from './logger.js';
import type { OwnedStream } from './owner/owned-stream.js';
import { OwnerRole, type OwnerRoleOptions } from './owner/owner-role.js';
import { countersOf, type WorkerSnapshot, WorkerStats } from './stats.js';

/** Everything the owner side needs, plus what every worker needs to serve and watch its streams. */
export interface StreamManagerOptions extends Omit<OwnerRoleOptions, 'onOwnershipLost' | 'onStopped' | 'stats' | 'lifecycle'> {
  presence: WorkerPresence;
  fanout: FanoutSettings;
  /** How often this worker refreshes its clients' records (PROXY_HEARTBEAT_INTERVAL), ms. */
  heartbeatIntervalMs: number;
  /** Whether this worker reaches Redis (absent in embedded mode: always). */
  link?: RedisLinkState;
  /** How long players are held while Redis is unreachable before they are handed back (PROXY_REDIS_OUTAGE_HOLD), ms. */
  outageHoldMs?: number;
}

/** A worker's link to Redis, as the stream manager follows it. */
export interface RedisLinkState {
  readonly up: boolean;
  /** Calls `listener(up)` on every change; returns a function that stops it. */
  onChange(listener: (up: boolean) => void): () => void;
}

/** Players handed back after an outage are closed at random moments over this long, so they do not all reconnect at once. */
export const HAND_BACK_SPREAD_MS = 2000;

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

export class StreamManager {
  readonly stats = new WorkerStats();
  /** This worker's stream lifecycle events (started, stopped, owner lost or taken over, engine switched, player dropped). */
  readonly lifecycle: StreamEvents;
  private readonly owner: OwnerRole;
  private readonly starter: ClaimOrFollow;
  private readonly takeover: TakeoverWatch;
  private readonly local = new Map<StreamId, Promise<LocalStream>>();
  /** The opened fanouts of `local`, readable without awaiting. */
  private readonly fanouts = new Set<StreamFanout>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopDeathWatch: (() => Promise<void>) | null = null;
  private stopLinkWatch: (() => void) | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly handBackTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: StreamManagerOptions) {
    this.lifecycle = new StreamEvents(options.logger);
    this.owner = new OwnerRole({
      ...options,
      stats: this.stats,
      lifecycle: this.lifecycle,
      onOwnershipLost: (id, leaseExpired) => {
        if (leaseExpired) this.takeover.leaseExpired(id);
        void this.takeover.check(id);
      },
      onStopped: (id) => void this.closeLocal(id),
    });
    const { workerId, election, metadata, presence, logger } = options;
    this.starter = new ClaimOrFollow({
      workerId,
      election,
      metadata,
      owner: this.owner,
      initTimeoutMs: options.stream.initTimeoutMs,
      logger,
    });
    this.takeover = new TakeoverWatch({
      workerId,
      election,
      presence,
      metadata,
      owner: this.owner,
      stats: this.stats,
      lifecycle: this.lifecycle,
      logger,
      served: {
        serves: (id) => this.local.has(id),
        fanout: async (id) => (await this.local.get(id)?.catch(() => null))?.fanout ?? null,
        close: (id) => this.closeLocal(id),
      },
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
      for (const id of this.local.keys()) if (!this.owner.owns(id)) await this.takeover.check(id);
    });
    this.every(heartbeatIntervalMs, () => this.heartbeat());
    this.stopLinkWatch = this.options.link?.onChange((up) => (up ? this.onRedisBack() : this.onRedisLost())) ?? null;
  }

  /**
   * Redis is unreachable from here: a cut link or a Redis down for everyone, which look the same
   * from inside (DESIGN §18). Players are held (keepalives) for PROXY_REDIS_OUTAGE_HOLD, then
   * handed back to the load balancer, whose health checks now send them to a healthy host.
   */
  private onRedisLost(): void {
    if (this.closed) return;
    this.options.logger.warn('redis unreachable: holding players', { hold_ms: this.options.outageHoldMs ?? null });
    this.takeover.redisLost(this.local.keys());
    if (this.holdTimer || this.options.outageHoldMs === undefined) return;
    this.holdTimer = setTimeout(() => this.handBack(), this.options.outageHoldMs);
    this.holdTimer.unref();
  }

  private handBack(): void {
    this.holdTimer = null;
    let players = 0;
    for (const fanout of this.fanouts) {
      for (const client of fanout.clients) {
        players++;
        const timer = setTimeout(() => {
          this.handBackTimers.delete(timer);
          if (!client.sink.destroyed) client.sink.destroy();
        }, Math.random() * HAND_BACK_SPREAD_MS);
        timer.unref();
        this.handBackTimers.add(timer);
      }
    }
    this.options.logger.warn('redis unreachable for PROXY_REDIS_OUTAGE_HOLD: handing players back to the load balancer', {
      players,
      spread_ms: HAND_BACK_SPREAD_MS,
    });
  }

  /**
   * Redis answers again. It may have restarted empty: client records go back at once (the
   * owner's grace check waits a heartbeat interval for the other workers to do the same), and
   * streams served here are claimed back or followed.
   */
  private onRedisBack(): void {
    if (this.closed) return;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    // Players whose moment in the hand-back spread has not come yet stay: Redis answers again.
    for (const timer of this.handBackTimers) clearTimeout(timer);
    this.handBackTimers.clear();
    this.options.logger.info('redis reachable again');
    this.owner.settle(this.options.heartbeatIntervalMs);
    this.heartbeat().catch(logFailure(this.options.logger, 'could not put the client records back'));
    for (const id of this.local.keys()) if (!this.owner.owns(id)) void this.takeover.check(id);
  }

  /**
   * Makes sure the stream runs somewhere in the cluster (claiming it if nobody owns it) and adds
   * the client. Rejects with EngineError when no engine would serve it; nothing is left behind.
   */
  async join(id: StreamId, info: ClientInfo, sink: ClientSink, options: JoinOptions = {}): Promise<Membership> {
    this.owner.cancelGrace(id);
    // A stream this worker already serves is running (or watched for takeover): a joiner of it
    // skips the claim and metadata round trips.
    if (!this.local.has(id)) await this.starter.ensureRunning(id, options.beforeEngineStart);
    const { registry, bus } = this.options;
    const local = await this.localStream(id);
    const first = local.fanout.clients.size === 0;
    // The record goes to Redis before the first player of this worker is served (the owner's grace
    // check counts records, and the stream may be in its grace period). Beside it, a joiner needs
    // no record to be served: its first bytes go out without waiting for that round trip.
    const registered = registry.register(id, info);
    if (first) await registered;
    else registered.catch(logFailure(this.options.logger, 'could not record a player'));
    const client = local.fanout.add(info.clientId, sink);
    this.stats.clientsJoined++;
    // The owner needs the news only when the stream may be in its grace period, which it cannot
    // be while this worker has clients of it: one event per worker, not one per join.
    if (first) this.announceJoin(id, info);
    let left = false;
    return {
      client,
      leave: async () => {
        if (left) return;
        left = true;
        local.fanout.remove(client);
        if (local.fanout.clients.size === 0) await this.closeLocal(id, local);
        // Not before its record is written: the record would outlive the player as a ghost.
        await registered.catch(() => undefined);
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
    await this.starter.ensureRunning(id, options.beforeEngineStart);
    await this.options.registry.register(id, info);
    this.stats.clientsJoined++;
    this.announceJoin(id, info);
  }

  /** Makes sure the stream runs (claims it when its owner is gone), for players without a socket here. */
  ensure(id: StreamId): Promise<void> {
    return this.starter.ensureRunning(id);
  }

  /** Stops a stream cluster-wide: here if this worker owns it, otherwise by asking its owner. */
  async stop(id: StreamId): Promise<boolean> {
    if (this.owner.owns(id)) {
      await this.owner.stop(id, 'stopped', 'stopped through the management API');
      return true;
    }
    if (!(await this.options.metadata.get(id))) return false;
    await this.options.bus.publish({ type: 'stream_stop', stream_id: id, reason: 'stopped through the management API' });
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
    this.takeover.close();
    for (const timer of this.timers) clearInterval(timer);
    this.stopLinkWatch?.();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    for (const timer of this.handBackTimers) clearTimeout(timer);
    await this.stopDeathWatch?.();
    await this.starter.settled();
    await Promise.all([...this.local.keys()].map((id) => this.closeLocal(id)));
    await Promise.all(this.owner.streams().map((s) => this.owner.stop(s.id, 'stopped', 'the proxy is shutting down')));
    await this.owner.close();
    const { presence, workerId, logger } = this.options;
    await presence.leave(workerId).catch(logFailure(logger, 'could not leave the worker list'));
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

  // The owner hears of a worker's first player of the stream (it may be in its grace period).
  private announceJoin(id: StreamId, info: ClientInfo): void {
    void this.options.bus
      .publish({ type: 'client_connected', stream_id: id, client_id: info.clientId, worker_id: info.workerId })
      .catch(logFailure(this.options.logger, 'could not tell the owner a player joined', { stream_id: id }));
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
    const fanout = new StreamFanout(id, this.options.store, this.options.fanout, logger, this.stats, this.lifecycle);
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
    this.takeover.forget(id);
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

  private async onWorkerDeath(dead: string): Promise<void> {
    if (dead === this.options.workerId) return;
    this.options.logger.warn('worker death announced', { dead_worker: dead });
    // Take over first: the dead worker may have owned streams this worker serves.
    for (const id of this.local.keys()) await this.takeover.check(id, dead);
    for (const stream of this.owner.streams()) {
      if ((await this.options.registry.removeWorker(stream.id, dead)) === 0) this.owner.scheduleGrace(stream.id);
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    // One run at a time: while Redis does not answer, runs would pile up behind each other.
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err) => this.options.logger.warn('periodic task failed', { error: (err as Error).message }))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
