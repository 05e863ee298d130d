// The owner's duties for the streams this worker owns: start on an engine, hold the claim, grace, stop.

import type { ChunkStore, Fence } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { ClaimedFence, EventBus, OwnerElection, StreamEvent, WorkerPresence } from '@acestream-proxy/coordination';
import {
  type EngineClient,
  EngineError,
  type EngineLoad,
  type EngineSource,
  engineId,
  type SourcedEngine,
} from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { EventQueue } from '@acestream-proxy/orchestrator';
import type { EndReason, StreamEvents } from '../events.js';
import { type Logger, logFailure } from '../logger.js';
import type { MetadataStore } from '../metadata.js';
import type { WorkerStats } from '../stats.js';
import { SessionAnnouncer } from './announcements.js';
import type { ChunkObserver } from './append-queue.js';
import { EnginePicker } from './engine-picker.js';
import { GraceTimers } from './grace-timers.js';
import { OwnedStream, type OwnedStreamSettings } from './owned-stream.js';
import { Ownership } from './ownership.js';

export interface OwnerRoleOptions {
  workerId: string;
  store: ChunkStore;
  metadata: MetadataStore;
  registry: ClientRegistry;
  election: OwnerElection;
  bus: EventBus;
  /** Worker heartbeats: refreshed before ownership is claimed back after a Redis outage. */
  presence: WorkerPresence;
  /** Where engines come from: the ENGINES list or the orchestrator. */
  engines: EngineSource;
  /** Deadline for engine API calls (PROXY_ENGINE_API_TIMEOUT), ms. */
  engineApiTimeoutMs: number;
  /** Time between version checks of an unreachable engine (ENGINE_CHECK_INTERVAL_MS), ms; default 5 s. */
  engineCheckMs?: number;
  /** Streams per engine across the cluster (ENGINE_MAX_STREAMS is checked against it). */
  engineLoad: EngineLoad;
  engineMaxStreams: number;
  /** stream_started / stream_ended to the orchestrator (a no-op queue without one). */
  events: EventQueue;
  stream: OwnedStreamSettings;
  /** What else the owner records from the chunks (HLS segments): one observer per ownership. */
  chunkObservers?: ChunkObservers;
  gracePeriodSeconds: number;
  logger: Logger;
  stats: WorkerStats;
  /** Where this worker's lifecycle events go (stream started and stopped, owner lost, engine switched). */
  lifecycle: StreamEvents;
  /** Told when this worker stops owning a stream without stopping it (another owner fenced it, or its lease ran out). */
  onOwnershipLost: (id: StreamId, leaseExpired?: boolean) => void;
  /** Told when a stream this worker owned has been stopped and its keys deleted. */
  onStopped: (id: StreamId, reason: EndReason, message: string) => void;
}

export interface ChunkObservers {
  create(id: StreamId, fence: Fence): ChunkObserver;
  /** The stream stopped: delete what the observers recorded. */
  drop(id: StreamId): Promise<void>;
}

/** How an owned stream is stopped: grace period over, asked to, or its engine failed. */
export type StopReason = Exclude<EndReason, 'fenced'>;

interface Owned {
  stream: OwnedStream;
  ownership: Ownership;
  /** The owner hears the stream's events for as long as it owns it, clients here or not. */
  stopListening: () => Promise<void>;
  /** This ownership's stream session, as the orchestrator knows it. */
  sessionKey: string;
}

export class OwnerRole {
  private readonly owned = new Map<StreamId, Owned>();
  private readonly stopping = new Map<StreamId, Promise<void>>();
  private readonly grace: GraceTimers;
  private readonly picker: EnginePicker;
  private readonly announcer: SessionAnnouncer;
  /** performance.now() before which a count of 0 clients is not believed (see `settle`). */
  private settledAt = 0;
  /** Per stream, the grace period to schedule once the settle window is over (cleared with the grace timer). */
  private readonly settleTimers = new Map<StreamId, NodeJS.Timeout>();

  constructor(private readonly options: OwnerRoleOptions) {
    this.grace = new GraceTimers(options.gracePeriodSeconds * 1000);
    this.picker = new EnginePicker({ ...options, initTimeoutMs: options.stream.initTimeoutMs, retryMs: options.engineCheckMs });
    this.announcer = new SessionAnnouncer(options.events, options.metadata, options.workerId, options.logger);
  }

  owns(id: StreamId): boolean {
    return this.owned.has(id);
  }

  streams(): OwnedStream[] {
    return [...this.owned.values()].map((o) => o.stream);
  }

  whenStopped(id: StreamId): Promise<void> | undefined {
    return this.stopping.get(id);
  }

  /**
   * Opens an engine session for a stream this worker has just claimed (`fence`), on the least
   * busy engine with a free slot (reserved atomically, so simultaneous starts cannot overfill an
   * engine), falling back to the next on failure. On failure nothing is left behind: no slot,
   * no metadata, no claim, no epoch.
   */
  async start(id: StreamId, fence: ClaimedFence): Promise<void> {
    const { logger, election, workerId, presence } = this.options;
    // Renewed from the claim on, however long the engines take to answer; a failed start ends that.
    const ownership = new Ownership(id, fence, { workerId, election, presence, logger });
    await this.startUnder(id, fence, ownership).catch((err) => {
      ownership.release();
      throw err;
    });
  }

  private async startUnder(id: StreamId, fence: ClaimedFence, ownership: Ownership): Promise<void> {
    const { logger, election, metadata } = this.options;
    const picker = this.picker;
    const failed = async (error: EngineError): Promise<never> => {
      // No renewal of a claim being abandoned.
      ownership.release();
      await picker.release(id, picker.knownIds());
      await metadata.drop(id).catch(logFailure(logger, 'could not drop the metadata of a failed start', { stream_id: id }));
      await election
        .abandon(id, fence)
        .catch(logFailure(logger, 'could not abandon the claim of a failed start', { stream_id: id }));
      throw error;
    };
    let candidates: SourcedEngine[];
    try {
      candidates = await picker.candidates();
    } catch (err) {
      return failed(new EngineError('no_engine_available', `cannot list engines: ${(err as Error).message}`));
    }
    // What a previous owner left: a session the orchestrator must hear the end of after a takeover.
    const previous = await metadata.get(id).catch(() => null);
    let lastError: EngineError | null = null;
    for (;;) {
      let engine: EngineClient | null;
      try {
        engine = await picker.reserve(id, candidates);
      } catch (err) {
        return failed(new EngineError('no_engine_available', `cannot reserve an engine slot: ${(err as Error).message}`));
      }
      if (!engine) return failed(lastError ?? picker.noEngineError(candidates.length));
      const eid = engineId(engine.address);
      candidates = candidates.filter((c) => engineId(c.address) !== eid);
      const stream = this.ownedStream(id, engine, ownership);
      try {
        await stream.start();
        await picker.take(id, eid);
        const stopListening = await this.options.bus.listen(id, (event) => this.onEvent(id, event));
        const sessionKey = `${id}-${fence.epoch}`;
        const owned: Owned = { stream, ownership, stopListening, sessionKey };
        this.owned.set(id, owned);
        ownership.hold({
          onReclaimed: () => stream.resume({ session_key: sessionKey }),
          onLost: () => void this.lose(id, owned, 'its claim was renewed by another worker'),
          onExpired: () => void this.expire(id, owned),
        });
        await this.announcer.started({
          id,
          key: sessionKey,
          address: engine.address,
          containerId: picker.containerOf(engine.address),
          session: stream.session!,
          previousKey: previous?.session_key,
          previousContainer: previous?.engine_id,
        });
        await this.options.bus.publish({ type: 'owner_changed', stream_id: id, owner: fence.workerId, epoch: fence.epoch });
        logger.info('stream started', { stream_id: id, engine: eid, epoch: fence.epoch });
        this.options.lifecycle.emit({ type: 'stream_started', stream_id: id, engine: eid, epoch: fence.epoch });
        return;
      } catch (err) {
        await stream.stop('error').catch(logFailure(logger, 'could not stop a failed start', { stream_id: id }));
        await picker.release(id, [eid]);
        lastError = err instanceof EngineError ? err : new EngineError('engine_bad_response', String(err));
        // The engine refused this content: another engine would say the same.
        if (lastError.code === 'engine_refused') return failed(lastError);
        // Refusing connections or not answering the API in time: left out until it answers.
        if (lastError.code === 'engine_unreachable' || lastError.code === 'engine_timeout') picker.markDown(engine);
        logger.warn('engine unusable, trying the next', { stream_id: id, reason: lastError.message });
      }
    }
  }

  /**
   * Redis answers again after an outage, maybe restarted empty: client sets are rebuilt by each
   * worker's heartbeat, the other workers' a little later than this one's. For `ms` a stream
   * found without clients is not stopped for it (a player on another worker would be cut off):
   * its grace period is counted from the end of that window.
   */
  settle(ms: number): void {
    this.settledAt = Math.max(this.settledAt, performance.now() + ms);
  }

  /** While settling (see `settle`), schedules the stream's grace period for when it is over and says true. */
  private settling(id: StreamId): boolean {
    const left = this.settledAt - performance.now();
    if (left <= 0) return false;
    // One per stream; a stop or a returning player clears it (cancelGrace), and so does close.
    if (this.settleTimers.has(id)) return true;
    const timer = setTimeout(() => {
      this.settleTimers.delete(id);
      this.scheduleGrace(id);
    }, left + 1);
    timer.unref();
    this.settleTimers.set(id, timer);
    return true;
  }

  /** The stream's last client left somewhere: stop after the grace period unless one comes back. */
  scheduleGrace(id: StreamId): void {
    if (!this.owned.has(id)) return;
    if (this.settling(id)) return;
    this.grace.schedule(id, async () => {
      try {
        if (this.settling(id)) return;
        if ((await this.options.registry.sweep(id)) === 0) await this.stop(id, 'normal', 'no clients left');
      } catch (err) {
        this.options.logger.error('grace period check failed', { stream_id: id, error: (err as Error).message });
      }
    });
  }

  cancelGrace(id: StreamId): void {
    this.grace.cancel(id);
    const settle = this.settleTimers.get(id);
    if (settle) clearTimeout(settle);
    this.settleTimers.delete(id);
  }

  /** Stops an owned stream: engine session, `stream_stopped` to every worker, and all its keys. */
  stop(id: StreamId, reason: StopReason, message: string): Promise<void> {
    const pending = this.stopping.get(id);
    if (pending) return pending;
    const stop = this.teardown(id, reason, message).finally(() => this.stopping.delete(id));
    this.stopping.set(id, stop);
    return stop;
  }

  async close(): Promise<void> {
    this.grace.close();
    for (const timer of this.settleTimers.values()) clearTimeout(timer);
    this.settleTimers.clear();
    this.picker.close();
  }

  private ownedStream(id: StreamId, engine: EngineClient, ownership: Ownership): OwnedStream {
    const { logger } = this.options;
    const stream: OwnedStream = new OwnedStream({
      id,
      workerId: this.options.workerId,
      engine,
      store: this.options.store,
      metadata: this.options.metadata,
      settings: this.options.stream,
      stats: this.options.stats,
      events: this.options.lifecycle,
      logger: logger.child({ stream_id: id }),
      ownership,
      onEnd: (reason, message) => this.onStreamEnd(id, stream, reason, message),
      nextEngine: (current) => this.picker.move(id, current),
      onEngineUnreachable: (unreachable, abandoned) => {
        logger.warn('engine does not answer, leaving it out until it does', {
          stream_id: id,
          engine: engineId(unreachable.address),
        });
        this.picker.markDown(unreachable, abandoned);
      },
      observer: this.options.chunkObservers?.create(id, ownership.fence),
    });
    return stream;
  }

  /** Another worker owns the stream now: stop reading, leave its keys and engine session to that worker. */
  private async lose(id: StreamId, owned: Owned, detail: string): Promise<void> {
    if (this.owned.get(id) !== owned) return;
    this.forget(id, owned);
    this.options.lifecycle.emit({ type: 'owner_lost', stream_id: id, detail });
    await owned.stream.stop('fenced');
    this.options.onOwnershipLost(id);
  }

  /**
   * The lease ran out by this worker's clock (Redis unreachable): stop reading and stop the
   * engine session, so at no moment two owners append, and the engine session overlap with the
   * next owner's stays under the TTL. The players here are kept (keepalives): the takeover watch
   * claims the stream again, or follows its new owner, once Redis answers.
   */
  private async expire(id: StreamId, owned: Owned): Promise<void> {
    if (this.owned.get(id) !== owned) return;
    this.forget(id, owned);
    this.options.lifecycle.emit({ type: 'owner_lost', stream_id: id, detail: 'ownership lease ran out (Redis unreachable)' });
    this.options.onOwnershipLost(id, true);
    await owned.stream
      .abandon()
      .catch(logFailure(this.options.logger, 'could not stop the engine session of an expired lease', { stream_id: id }));
  }

  private onStreamEnd(id: StreamId, stream: OwnedStream, reason: EndReason, message: string): void {
    const owned = this.owned.get(id);
    if (owned?.stream !== stream) return;
    if (reason === 'fenced') {
      this.forget(id, owned);
      this.options.lifecycle.emit({ type: 'owner_lost', stream_id: id, detail: message });
      this.options.onOwnershipLost(id);
    } else if (reason === 'error') {
      void this.stop(id, 'error', message);
    }
  }

  private onEvent(id: StreamId, event: StreamEvent): void {
    if (event.type === 'client_connected') this.cancelGrace(id);
    else if (event.type === 'client_disconnected' && event.remaining === 0) this.scheduleGrace(id);
    else if (event.type === 'stream_stop') void this.stop(id, 'stopped', event.reason);
  }

  private forget(id: StreamId, owned: Owned): void {
    void owned
      .stopListening()
      .catch(logFailure(this.options.logger, "could not stop listening to a stream's events", { stream_id: id }));
    owned.ownership.release();
    this.cancelGrace(id);
    this.owned.delete(id);
  }

  private async teardown(id: StreamId, reason: StopReason, message: string): Promise<void> {
    const owned = this.owned.get(id);
    if (!owned) return;
    this.forget(id, owned);
    const { store, metadata, registry, election, bus, logger } = this.options;
    const failure = (what: string) => logFailure(logger, what, { stream_id: id });
    await metadata
      .update(id, { state: reason === 'error' ? 'error' : 'stopping', error_message: reason === 'error' ? message : undefined })
      .catch(failure('could not mark the stream as stopping'));
    await owned.stream.stop(reason);
    const address = owned.stream.currentEngine.address;
    await this.picker.release(id, [engineId(address), ...this.picker.knownIds()]);
    await this.announcer.ended(id, owned.sessionKey, this.picker.containerOf(address), reason);
    await bus
      .publish({ type: 'stream_stopped', stream_id: id, reason, message })
      .catch(failure('could not tell the other workers the stream stopped'));
    await Promise.all([
      store.drop(id),
      metadata.drop(id),
      registry.drop(id),
      this.options.chunkObservers?.drop(id).catch(failure('could not drop what the chunk observers recorded')),
    ]);
    await election.release(id, owned.ownership.fence).catch(failure('could not release the claim'));
    await election.drop(id).catch(failure("could not drop the stream's epoch"));
    logger.info('stream stopped', { stream_id: id, reason, detail: message });
    this.options.lifecycle.emit({ type: 'stream_stopped', stream_id: id, reason, detail: message });
    this.options.onStopped(id, reason, message);
  }
}
