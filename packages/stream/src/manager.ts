// StreamManager: one engine session per stream, many clients; start, join, leave, grace period, stop.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { ClientInfo, ClientRegistry } from '@acestream-proxy/clients';
import { type EngineClient, EngineError } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { type ClientSink, type FanoutClient, type FanoutSettings, StreamFanout } from './fanout.js';
import type { Logger } from './logger.js';
import type { MetadataStore } from './metadata.js';
import { type EndReason, OwnedStream, type OwnedStreamSettings } from './owned-stream.js';

export interface StreamManagerOptions {
  workerId: string;
  store: ChunkStore;
  metadata: MetadataStore;
  registry: ClientRegistry;
  /** Engines in preference order. */
  engines: EngineClient[];
  stream: OwnedStreamSettings;
  fanout: FanoutSettings;
  /** Seconds with no client before the engine session is stopped (PROXY_GRACE_PERIOD). */
  gracePeriodSeconds: number;
  /** How often this worker refreshes its clients' records (PROXY_HEARTBEAT_INTERVAL), ms. */
  heartbeatIntervalMs: number;
  logger: Logger;
}

/** A client's place in a stream; `leave()` when its connection closes. */
export interface Membership {
  readonly client: FanoutClient;
  leave(): Promise<void>;
}

export class StreamManager {
  private readonly owned = new Map<StreamId, OwnedStream>();
  private readonly starting = new Map<StreamId, Promise<OwnedStream>>();
  private readonly stopping = new Map<StreamId, Promise<void>>();
  private readonly fanouts = new Map<StreamId, Promise<StreamFanout>>();
  private readonly graceTimers = new Map<StreamId, NodeJS.Timeout>();
  private readonly heartbeatTimer: NodeJS.Timeout;

  constructor(private readonly options: StreamManagerOptions) {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Refreshes every local client's record in one round trip (not one per client). */
  async heartbeat(): Promise<void> {
    const activity = [];
    for (const [id, pending] of this.fanouts) {
      const fanout = await pending.catch(() => null);
      for (const c of fanout?.clients ?? []) {
        activity.push({ streamId: id, clientId: c.clientId, bytesSent: c.bytesSent, skips: c.skips });
      }
    }
    try {
      await this.options.registry.heartbeat(activity);
    } catch (err) {
      this.options.logger.warn('client heartbeat failed', { error: (err as Error).message });
    }
  }

  /**
   * Makes sure the stream has an engine session (starting one if needed) and adds the client.
   * Rejects with EngineError when no engine would serve it; nothing is left behind then.
   */
  async join(id: StreamId, info: ClientInfo, sink: ClientSink): Promise<Membership> {
    this.cancelGrace(id);
    await this.ensure(id);
    const { registry } = this.options;
    await registry.register(id, info);
    const fanout = await this.fanout(id);
    const client = fanout.add(info.clientId, sink);
    let left = false;
    return {
      client,
      leave: async () => {
        if (left) return;
        left = true;
        fanout.remove(client);
        if (fanout.clients.size === 0) await this.closeFanout(id, fanout);
        const remaining = await registry.unregister(id, info.clientId);
        if (remaining === 0) this.scheduleGrace(id);
      },
    };
  }

  /** Stops a stream now: engine session, clients, and every key it had. */
  async stop(id: StreamId, reason: EndReason = 'stopped'): Promise<void> {
    const pending = this.stopping.get(id);
    if (pending) return pending;
    const stop = this.teardown(id, reason).finally(() => this.stopping.delete(id));
    this.stopping.set(id, stop);
    return stop;
  }

  /** Stops every stream this worker owns (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    await Promise.allSettled([...this.starting.values()]);
    const ids = new Set<StreamId>([...this.owned.keys(), ...this.fanouts.keys()]);
    await Promise.all([...ids].map((id) => this.stop(id, 'stopped')));
  }

  ownedStreams(): OwnedStream[] {
    return [...this.owned.values()];
  }

  async localClients(id: StreamId): Promise<FanoutClient[]> {
    const fanout = await this.fanouts.get(id);
    return fanout ? [...fanout.clients] : [];
  }

  private async ensure(id: StreamId): Promise<OwnedStream> {
    await this.stopping.get(id);
    const existing = this.owned.get(id);
    if (existing) return existing;
    let starting = this.starting.get(id);
    if (!starting) {
      starting = this.start(id).finally(() => this.starting.delete(id));
      this.starting.set(id, starting);
    }
    return starting;
  }

  private async start(id: StreamId): Promise<OwnedStream> {
    const { engines, logger } = this.options;
    let lastError: EngineError | null = null;
    for (const engine of this.enginesByLoad(engines)) {
      const stream = new OwnedStream({
        id,
        workerId: this.options.workerId,
        engine,
        store: this.options.store,
        metadata: this.options.metadata,
        settings: this.options.stream,
        logger: logger.child({ stream_id: id }),
        onEnd: (reason, message) => this.onStreamEnd(id, stream, reason, message),
      });
      try {
        await stream.start();
        this.owned.set(id, stream);
        logger.info('stream started', { stream_id: id, engine: `${engine.address.host}:${engine.address.port}` });
        return stream;
      } catch (err) {
        await stream.stop('error').catch(() => {});
        await this.options.metadata.drop(id).catch(() => {});
        if (!(err instanceof EngineError)) throw err;
        lastError = err;
        // The engine refused this content: another engine would say the same.
        if (err.code === 'engine_refused') throw err;
        logger.warn('engine unusable, trying the next', { stream_id: id, reason: err.message });
      }
    }
    throw lastError ?? new EngineError('no_engine_available', 'no engine is configured');
  }

  // Least busy first; equal load keeps the configured order.
  private enginesByLoad(engines: EngineClient[]): EngineClient[] {
    const load = new Map<EngineClient, number>();
    for (const stream of this.owned.values()) {
      const engine = engines.find((e) => e.address === stream.session?.engine);
      if (engine) load.set(engine, (load.get(engine) ?? 0) + 1);
    }
    return [...engines].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0));
  }

  private fanout(id: StreamId): Promise<StreamFanout> {
    let fanout = this.fanouts.get(id);
    if (!fanout) {
      const created = new StreamFanout(id, this.options.store, this.options.fanout, this.options.logger.child({ stream_id: id }));
      fanout = created.open().then(() => created);
      fanout.catch(() => this.fanouts.delete(id));
      this.fanouts.set(id, fanout);
    }
    return fanout;
  }

  private async closeFanout(id: StreamId, fanout: StreamFanout): Promise<void> {
    if ((await this.fanouts.get(id)) === fanout) this.fanouts.delete(id);
    await fanout.close();
  }

  private scheduleGrace(id: StreamId): void {
    if (this.graceTimers.has(id) || !this.owned.has(id)) return;
    const timer = setTimeout(async () => {
      this.graceTimers.delete(id);
      try {
        if ((await this.options.registry.count(id)) === 0) await this.stop(id, 'normal');
      } catch (err) {
        this.options.logger.error('grace period check failed', { stream_id: id, error: (err as Error).message });
      }
    }, this.options.gracePeriodSeconds * 1000);
    timer.unref();
    this.graceTimers.set(id, timer);
  }

  private cancelGrace(id: StreamId): void {
    const timer = this.graceTimers.get(id);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(id);
  }

  private onStreamEnd(id: StreamId, stream: OwnedStream, reason: EndReason, message: string): void {
    if (this.owned.get(id) !== stream) return;
    if (reason === 'error') {
      this.options.logger.error('stream failed', { stream_id: id, reason: message });
      void this.options.metadata.update(id, { state: 'error', error_message: message }).catch(() => {});
    }
    if (reason !== 'stopped' && reason !== 'normal') void this.stop(id, reason);
  }

  private async teardown(id: StreamId, reason: EndReason): Promise<void> {
    this.cancelGrace(id);
    const stream = this.owned.get(id);
    const fanout = await this.fanouts.get(id)?.catch(() => undefined);
    this.fanouts.delete(id);
    await fanout?.close();
    if (!stream) return;
    await this.options.metadata.update(id, { state: 'stopping' }).catch(() => {});
    await stream.stop(reason);
    this.owned.delete(id);
    const { store, metadata, registry } = this.options;
    await Promise.all([store.drop(id), metadata.drop(id), registry.drop(id)]);
    this.options.logger.info('stream stopped', { stream_id: id, reason });
  }
}
