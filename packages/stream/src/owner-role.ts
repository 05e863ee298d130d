// The owner's duties for the streams this worker owns: start (engine fallback), renew, grace, stop.

import type { ChunkStore, Fence } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { EventBus, OwnerElection, StreamEvent, WorkerPresence } from '@acestream-proxy/coordination';
import {
  type EngineAddress,
  EngineClient,
  EngineError,
  EngineHealth,
  type EngineLoad,
  type EngineSource,
  engineId,
  preferenceOrder,
  type SourcedEngine,
} from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { EventQueue } from '@acestream-proxy/orchestrator';
import type { Logger } from './logger.js';
import type { MetadataStore } from './metadata.js';
import { type ChunkObserver, type EndReason, OwnedStream, type OwnedStreamSettings } from './owned-stream.js';
import type { WorkerStats } from './stats.js';

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
  /** Told when this worker stops owning a stream without stopping it (another owner fenced it). */
  onOwnershipLost: (id: StreamId) => void;
  /** Told when a stream this worker owned has been stopped and its keys deleted. */
  onStopped: (id: StreamId, reason: EndReason, message: string) => void;
}

export interface ChunkObservers {
  create(id: StreamId, fence: Fence): ChunkObserver;
  /** The stream stopped: delete what the observers recorded. */
  drop(id: StreamId): Promise<void>;
}

/** How often an unreachable engine's version is checked before new streams may use it again. */
const ENGINE_RETRY_MS = 5000;

interface Owned {
  stream: OwnedStream;
  /** Replaced when ownership is claimed back after Redis lost it. */
  fence: Fence;
  claimingBack?: Promise<boolean> | null;
  renewTimer: NodeJS.Timeout;
  /** The owner hears the stream's events for as long as it owns it, clients here or not. */
  stopListening: () => Promise<void>;
  /** This ownership's stream session, as the orchestrator knows it. */
  sessionKey: string;
}

export class OwnerRole {
  private readonly owned = new Map<StreamId, Owned>();
  private readonly stopping = new Map<StreamId, Promise<void>>();
  private readonly graceTimers = new Map<StreamId, NodeJS.Timeout>();
  private readonly clients = new Map<string, EngineClient>();
  /** The engines as last listed by the source. */
  private known: SourcedEngine[] = [];
  /** Engines this worker could not reach, left out until their version check answers. */
  private readonly health = new EngineHealth({ retryMs: ENGINE_RETRY_MS });

  constructor(private readonly options: OwnerRoleOptions) {}

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
  async start(id: StreamId, fence: Fence): Promise<void> {
    const { logger, election, metadata, engineLoad } = this.options;
    const failed = async (error: EngineError): Promise<never> => {
      await engineLoad.remove(this.knownIds(), id).catch(() => {});
      await metadata.drop(id).catch(() => {});
      await election.abandon(id, fence).catch(() => {});
      throw error;
    };
    let candidates: SourcedEngine[];
    try {
      candidates = await this.candidates();
    } catch (err) {
      return failed(new EngineError('no_engine_available', `cannot list engines: ${(err as Error).message}`));
    }
    // What a previous owner left: a session the orchestrator must hear the end of after a takeover.
    const previous = await metadata.get(id).catch(() => null);
    let lastError: EngineError | null = null;
    for (;;) {
      let engine: EngineClient | null;
      try {
        engine = await this.reserve(id, candidates);
      } catch (err) {
        return failed(new EngineError('no_engine_available', `cannot reserve an engine slot: ${(err as Error).message}`));
      }
      if (!engine) return failed(lastError ?? this.noEngineError(candidates.length));
      const eid = engineId(engine.address);
      candidates = candidates.filter((c) => engineId(c.address) !== eid);
      const stream: OwnedStream = new OwnedStream({
        id,
        workerId: this.options.workerId,
        engine,
        fence,
        store: this.options.store,
        metadata,
        settings: this.options.stream,
        stats: this.options.stats,
        logger: logger.child({ stream_id: id }),
        onEnd: (reason, message) => this.onStreamEnd(id, stream, reason, message),
        nextEngine: (current) => this.moveEngine(id, current),
        claimBack: async (): Promise<Fence | null> => {
          const owned = this.owned.get(id);
          if (!owned || owned.stream !== stream) return null;
          return (await this.claimBack(id, owned).catch(() => false)) ? owned.fence : null;
        },
        onEngineUnreachable: (unreachable, abandoned) => {
          const eid = engineId(unreachable.address);
          logger.warn('engine does not answer, leaving it out until it does', { stream_id: id, engine: eid });
          this.markDown(unreachable);
          if (abandoned) {
            this.health.whenUp(eid, () => void unreachable.stopSession(abandoned).catch(() => {}));
          }
        },
        observer: this.options.chunkObservers?.create(id, fence),
      });
      try {
        await stream.start();
        await this.takeEngine(id, eid);
        const renewTimer = setInterval(() => void this.renew(id), Math.max(100, Math.floor(election.ttlMs / 3)));
        renewTimer.unref();
        const stopListening = await this.options.bus.listen(id, (event) => this.onEvent(id, event));
        const sessionKey = `${id}-${fence.epoch}`;
        this.owned.set(id, { stream, fence, renewTimer, stopListening, sessionKey });
        await this.announceStart(id, sessionKey, stream, previous?.session_key, previous?.engine_id);
        await this.options.bus.publish({ type: 'owner_changed', stream_id: id, owner: fence.workerId, epoch: fence.epoch });
        logger.info('stream started', { stream_id: id, engine: eid, epoch: fence.epoch });
        return;
      } catch (err) {
        await stream.stop('error').catch(() => {});
        await engineLoad.remove([eid], id).catch(() => {});
        lastError = err instanceof EngineError ? err : new EngineError('engine_bad_response', String(err));
        // The engine refused this content: another engine would say the same.
        if (lastError.code === 'engine_refused') return failed(lastError);
        // Refusing connections or not answering the API in time: left out until it answers.
        if (lastError.code === 'engine_unreachable' || lastError.code === 'engine_timeout') this.markDown(engine);
        logger.warn('engine unusable, trying the next', { stream_id: id, reason: lastError.message });
      }
    }
  }

  /** Why no engine took the stream: the counts an operator can act on. */
  private noEngineError(candidates: number): EngineError {
    const { engineMaxStreams } = this.options;
    const down = this.health.downIds().length;
    return new EngineError(
      'no_engine_available',
      this.known.length === 0
        ? 'no engine is available'
        : down > 0
          ? `${down} of ${this.known.length} engines are unreachable (checked every ${ENGINE_RETRY_MS / 1000} s), the others serve ENGINE_MAX_STREAMS=${engineMaxStreams} streams`
          : candidates === 0
            ? `none of the ${this.known.length} engines is healthy`
            : `all ${this.known.length} engines already serve ENGINE_MAX_STREAMS=${engineMaxStreams} streams`,
    );
  }

  private async announceStart(
    id: StreamId,
    key: string,
    stream: OwnedStream,
    previousKey: string | undefined,
    previousEngine: string | undefined,
  ): Promise<void> {
    const { events, metadata, workerId, logger } = this.options;
    const { address } = stream.currentEngine;
    const session = stream.session!;
    try {
      if (previousKey && previousKey !== key) {
        await events.ended(previousKey, { container_id: previousEngine ?? '', stream_id: previousKey, reason: 'error' });
      }
      await metadata.update(id, { session_key: key });
      await events.started(key, {
        container_id: this.containerOf(address),
        engine: { host: address.host, port: address.port },
        stream: { key_type: 'infohash', key: id },
        session: {
          playback_session_id: session.playbackSessionId,
          stat_url: session.statUrl,
          command_url: session.commandUrl,
          is_live: session.isLive ? 1 : 0,
        },
        labels: { source: 'proxy', worker_id: workerId, stream_id: key },
      });
    } catch (err) {
      logger.warn('could not queue stream_started', { stream_id: id, error: (err as Error).message });
    }
  }

  /**
   * Leaves an engine out of new streams on this worker until its version check answers, and
   * tells the other workers through the engine load (renewed while the checks keep failing).
   */
  private markDown(engine: EngineClient): void {
    const eid = engineId(engine.address);
    const { engineLoad } = this.options;
    const shareMs = 3 * ENGINE_RETRY_MS;
    void engineLoad.markDown(eid, shareMs).catch(() => {});
    this.health.markDown(eid, async () => {
      try {
        await engine.version();
      } catch (err) {
        await engineLoad.markDown(eid, shareMs).catch(() => {});
        throw err;
      }
      await engineLoad.clearDown(eid).catch(() => {});
    });
  }

  /** Engines a new stream may go to, in order of preference (see preferenceOrder); `exclude` is the failing one. */
  private async candidates(exclude?: EngineClient): Promise<SourcedEngine[]> {
    this.known = await this.options.engines.list();
    const pool = this.known
      .filter((e) => !exclude || engineId(e.address) !== engineId(exclude.address))
      .map((e) => ({ ...e, healthy: e.healthy && this.health.isUp(engineId(e.address)) }));
    const downElsewhere = await this.options.engineLoad.down(pool.map((e) => engineId(e.address)));
    for (const e of pool) if (downElsewhere.has(engineId(e.address))) e.healthy = false;
    return preferenceOrder(pool);
  }

  /**
   * Reserves a slot for the stream on the least loaded of `candidates` with one free, counting
   * this cluster's streams and pending starts and the orchestrator's count of every proxy's
   * streams (this cluster's counted once). Null when all are full.
   */
  private async reserve(id: StreamId, candidates: readonly SourcedEngine[]): Promise<EngineClient | null> {
    const slots = candidates.map((e) => ({ engineId: engineId(e.address), outside: e.streams }));
    // Outlasts a start (an API call, then the first byte at most): a worker that dies meanwhile frees it then.
    const ttlMs = this.options.engineApiTimeoutMs + this.options.stream.initTimeoutMs;
    const { engineId: chosen } = await this.options.engineLoad.reserve(id, slots, this.options.engineMaxStreams, ttlMs);
    const engine = candidates.find((e) => engineId(e.address) === chosen);
    return engine ? this.client(engine.address) : null;
  }

  private client(address: EngineAddress): EngineClient {
    const id = engineId(address);
    let client = this.clients.get(id);
    if (!client) {
      client = new EngineClient(address, {
        apiTimeoutMs: this.options.engineApiTimeoutMs,
        playbackTimeoutMs: this.options.stream.initTimeoutMs,
      });
      this.clients.set(id, client);
    }
    return client;
  }

  private containerOf(address: EngineAddress): string {
    const id = engineId(address);
    return this.known.find((e) => engineId(e.address) === id)?.containerId ?? id;
  }

  /** The stream runs on `eid`: its slot there becomes membership, and it holds none elsewhere (after a takeover or a move). */
  private async takeEngine(id: StreamId, eid: string): Promise<void> {
    await this.options.engineLoad.add(eid, id, this.knownIds()).catch(() => {});
  }

  private knownIds(): string[] {
    return this.known.map((e) => engineId(e.address));
  }

  private async moveEngine(id: StreamId, current: EngineClient): Promise<EngineClient | null> {
    const next = await this.reserve(id, await this.candidates(current));
    if (next) await this.takeEngine(id, engineId(next.address));
    return next;
  }

  /** The stream's last client left somewhere: stop after the grace period unless one comes back. */
  scheduleGrace(id: StreamId): void {
    if (this.graceTimers.has(id) || !this.owned.has(id)) return;
    const timer = setTimeout(async () => {
      this.graceTimers.delete(id);
      try {
        if ((await this.options.registry.sweep(id)) === 0) await this.stop(id, 'normal', 'no clients left');
      } catch (err) {
        this.options.logger.error('grace period check failed', {
          stream_id: id,
          error: (err as Error).message,
        });
      }
    }, this.options.gracePeriodSeconds * 1000);
    timer.unref();
    this.graceTimers.set(id, timer);
  }

  cancelGrace(id: StreamId): void {
    const timer = this.graceTimers.get(id);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(id);
  }

  /** Stops an owned stream: engine session, `stream_stopped` to every worker, and all its keys. */
  stop(id: StreamId, reason: EndReason, message: string): Promise<void> {
    const pending = this.stopping.get(id);
    if (pending) return pending;
    const stop = this.teardown(id, reason, message).finally(() => this.stopping.delete(id));
    this.stopping.set(id, stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    this.health.close();
    for (const client of this.clients.values()) client.close();
  }

  private async renew(id: StreamId): Promise<void> {
    const owned = this.owned.get(id);
    if (!owned) return;
    try {
      if (await this.options.election.renew(id, owned.fence)) return;
      if (await this.claimBack(id, owned)) return;
    } catch (err) {
      // Redis unreachable: keep reading; the append's fencing check protects the buffer.
      this.options.logger.warn('ownership renewal failed', { stream_id: id, error: (err as Error).message });
      return;
    }
    // Stopped meanwhile (teardown released the claim): nothing was lost.
    if (this.owned.get(id) !== owned) return;
    this.options.logger.warn('lost ownership of the stream, stopping the reader', { stream_id: id });
    this.forget(id, owned);
    await owned.stream.stop('fenced');
    this.options.onOwnershipLost(id);
  }

  /**
   * The token was refused (by a renewal or an append). When nobody owns the stream, Redis lost the
   * key (restarted empty, or it expired during an outage) and no other worker claimed it: claim
   * it back and carry on reading. Resolves whether this worker owns it now. One at a time.
   */
  private claimBack(id: StreamId, owned: Owned): Promise<boolean> {
    owned.claimingBack ??= this.tryClaimBack(id, owned).finally(() => {
      owned.claimingBack = null;
    });
    return owned.claimingBack;
  }

  private async tryClaimBack(id: StreamId, owned: Owned): Promise<boolean> {
    const { election, presence, workerId, logger } = this.options;
    // Still this worker's, and not being stopped (a teardown releases the claim on purpose).
    const ours = () => this.owned.get(id) === owned && !this.stopping.has(id);
    if (!ours()) return false;
    if (await election.renew(id, owned.fence)) return true;
    if (!ours() || (await election.owner(id)) !== null) return false;
    // Alive before owning, so no worker takes this for a dead owner's stream.
    await presence.beat(workerId);
    const fence = await election.claim(id, workerId);
    if (!fence) return false;
    if (!ours()) {
      await election.release(id, fence);
      return false;
    }
    owned.fence = fence;
    await owned.stream.resume(fence, { session_key: owned.sessionKey });
    logger.warn('ownership lost with Redis, claimed back', { stream_id: id, epoch: fence.epoch });
    return true;
  }

  private onStreamEnd(id: StreamId, stream: OwnedStream, reason: EndReason, message: string): void {
    const owned = this.owned.get(id);
    if (owned?.stream !== stream) return;
    if (reason === 'fenced') {
      this.forget(id, owned);
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
    void owned.stopListening();
    clearInterval(owned.renewTimer);
    this.cancelGrace(id);
    this.owned.delete(id);
  }

  private async teardown(id: StreamId, reason: EndReason, message: string): Promise<void> {
    const owned = this.owned.get(id);
    if (!owned) return;
    this.forget(id, owned);
    const { store, metadata, registry, election, bus, logger } = this.options;
    await metadata
      .update(id, {
        state: reason === 'error' ? 'error' : 'stopping',
        error_message: reason === 'error' ? message : undefined,
      })
      .catch(() => {});
    await owned.stream.stop(reason);
    const eid = engineId(owned.stream.currentEngine.address);
    await this.options.engineLoad.remove([eid, ...this.knownIds()], id).catch(() => {});
    const streamReason = reason === 'error' ? 'error' : reason === 'normal' ? 'normal' : 'stopped';
    await this.options.events
      .ended(owned.sessionKey, {
        container_id: this.containerOf(owned.stream.currentEngine.address),
        stream_id: owned.sessionKey,
        reason: streamReason,
      })
      .catch((err: Error) => logger.warn('could not queue stream_ended', { stream_id: id, error: err.message }));
    await bus.publish({ type: 'stream_stopped', stream_id: id, reason: streamReason, message }).catch(() => {});
    await Promise.all([
      store.drop(id),
      metadata.drop(id),
      registry.drop(id),
      this.options.chunkObservers?.drop(id).catch(() => {}),
    ]);
    await election.release(id, owned.fence).catch(() => {});
    await election.drop(id).catch(() => {});
    logger.info('stream stopped', { stream_id: id, reason, detail: message });
    this.options.onStopped(id, reason, message);
  }
}
