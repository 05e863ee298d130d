// The owner's duties for the streams this worker owns: start (engine fallback), renew, grace, stop.

import type { ChunkStore, Fence } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { EventBus, OwnerElection, StreamEvent } from '@acestream-proxy/coordination';
import { type EngineClient, EngineError } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { Logger } from './logger.js';
import type { MetadataStore } from './metadata.js';
import { type EndReason, OwnedStream, type OwnedStreamSettings } from './owned-stream.js';

export interface OwnerRoleOptions {
  workerId: string;
  store: ChunkStore;
  metadata: MetadataStore;
  registry: ClientRegistry;
  election: OwnerElection;
  bus: EventBus;
  engines: EngineClient[];
  stream: OwnedStreamSettings;
  gracePeriodSeconds: number;
  logger: Logger;
  /** Told when this worker stops owning a stream without stopping it (another owner fenced it). */
  onOwnershipLost: (id: StreamId) => void;
  /** Told when a stream this worker owned has been stopped and its keys deleted. */
  onStopped: (id: StreamId, reason: EndReason, message: string) => void;
}

interface Owned {
  stream: OwnedStream;
  fence: Fence;
  renewTimer: NodeJS.Timeout;
  /** The owner hears the stream's events for as long as it owns it, clients here or not. */
  stopListening: () => Promise<void>;
}

export class OwnerRole {
  private readonly owned = new Map<StreamId, Owned>();
  private readonly stopping = new Map<StreamId, Promise<void>>();
  private readonly graceTimers = new Map<StreamId, NodeJS.Timeout>();

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
   * Opens an engine session for a stream this worker has just claimed (`fence`), trying engines
   * least-busy first. On failure the claim is released and nothing is left behind.
   */
  async start(id: StreamId, fence: Fence): Promise<void> {
    const { engines, logger, election, metadata } = this.options;
    let lastError: EngineError | null = null;
    for (const engine of this.enginesByLoad(engines)) {
      const stream = new OwnedStream({
        id,
        workerId: this.options.workerId,
        engine,
        fence,
        store: this.options.store,
        metadata,
        settings: this.options.stream,
        logger: logger.child({ stream_id: id }),
        onEnd: (reason, message) => this.onStreamEnd(id, stream, reason, message),
      });
      try {
        await stream.start();
        const renewTimer = setInterval(() => void this.renew(id), Math.max(100, Math.floor(election.ttlMs / 3)));
        renewTimer.unref();
        const stopListening = await this.options.bus.listen(id, (event) => this.onEvent(id, event));
        this.owned.set(id, { stream, fence, renewTimer, stopListening });
        await this.options.bus.publish({
          type: 'owner_changed',
          stream_id: id,
          owner: fence.workerId,
          epoch: fence.epoch,
        });
        logger.info('stream started', {
          stream_id: id,
          engine: `${engine.address.host}:${engine.address.port}`,
          epoch: fence.epoch,
        });
        return;
      } catch (err) {
        await stream.stop('error').catch(() => {});
        if (!(err instanceof EngineError)) lastError = new EngineError('engine_bad_response', String(err));
        else lastError = err;
        // The engine refused this content: another engine would say the same.
        if (lastError.code === 'engine_refused') break;
        logger.warn('engine unusable, trying the next', { stream_id: id, reason: lastError.message });
      }
    }
    await metadata.drop(id).catch(() => {});
    await election.release(id, fence).catch(() => {});
    throw lastError ?? new EngineError('no_engine_available', 'no engine is configured');
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
  }

  private async renew(id: StreamId): Promise<void> {
    const owned = this.owned.get(id);
    if (!owned) return;
    try {
      if (await this.options.election.renew(id, owned.fence)) return;
    } catch (err) {
      // Redis unreachable: keep reading; the append's fencing check protects the buffer.
      this.options.logger.warn('ownership renewal failed', { stream_id: id, error: (err as Error).message });
      return;
    }
    this.options.logger.warn('lost ownership of the stream, stopping the reader', { stream_id: id });
    this.forget(id, owned);
    await owned.stream.stop('fenced');
    this.options.onOwnershipLost(id);
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
    const streamReason = reason === 'error' ? 'error' : reason === 'normal' ? 'normal' : 'stopped';
    await bus.publish({ type: 'stream_stopped', stream_id: id, reason: streamReason, message }).catch(() => {});
    await Promise.all([store.drop(id), metadata.drop(id), registry.drop(id)]);
    await election.release(id, owned.fence).catch(() => {});
    await election.drop(id).catch(() => {});
    logger.info('stream stopped', { stream_id: id, reason, detail: message });
    this.options.onStopped(id, reason, message);
  }

  // Least busy first; equal load keeps the configured order.
  private enginesByLoad(engines: EngineClient[]): EngineClient[] {
    const load = new Map<EngineClient, number>();
    for (const { stream } of this.owned.values()) {
      const engine = engines.find((e) => e.address === stream.session?.engine);
      if (engine) load.set(engine, (load.get(engine) ?? 0) + 1);
    }
    return [...engines].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0));
  }
}
