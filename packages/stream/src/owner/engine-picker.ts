// Which engine a stream goes to: the source's list, health, cluster-wide slots, and the reasons none fits.

import {
  type EngineAddress,
  EngineClient,
  EngineError,
  EngineHealth,
  type EngineLoad,
  type EngineSession,
  type EngineSource,
  engineId,
  preferenceOrder,
  type SourcedEngine,
} from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import { type Logger, logFailure } from '../logger.js';

export interface EnginePickerOptions {
  /** Where engines come from: the ENGINES list or the orchestrator. */
  engines: EngineSource;
  /** Streams per engine across the cluster (ENGINE_MAX_STREAMS is checked against it). */
  engineLoad: EngineLoad;
  engineMaxStreams: number;
  /** Deadline for engine API calls (PROXY_ENGINE_API_TIMEOUT), ms. */
  engineApiTimeoutMs: number;
  /** Deadline for an engine's first byte (PROXY_INIT_TIMEOUT), ms. */
  initTimeoutMs: number;
  logger: Logger;
  /** How often an unreachable engine's version is checked before new streams may use it again, ms. */
  retryMs?: number;
}

/** How often an unreachable engine's version is checked before new streams may use it again. */
const ENGINE_RETRY_MS = 5000;

export class EnginePicker {
  private readonly clients = new Map<string, EngineClient>();
  /** The engines as last listed by the source. */
  private known: SourcedEngine[] = [];
  /** Engines this worker could not reach, left out until their version check answers. */
  private readonly health: EngineHealth;
  private readonly retryMs: number;

  constructor(private readonly options: EnginePickerOptions) {
    this.retryMs = options.retryMs ?? ENGINE_RETRY_MS;
    this.health = new EngineHealth({ retryMs: this.retryMs });
  }

  /** Engines a new stream may go to, in order of preference (see preferenceOrder); `exclude` is the failing one. */
  async candidates(exclude?: EngineClient): Promise<SourcedEngine[]> {
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
  async reserve(id: StreamId, candidates: readonly SourcedEngine[]): Promise<EngineClient | null> {
    const slots = candidates.map((e) => ({ engineId: engineId(e.address), outside: e.streams }));
    // Outlasts a start (an API call, then the first byte at most): a worker that dies meanwhile frees it then.
    const ttlMs = this.options.engineApiTimeoutMs + this.options.initTimeoutMs;
    const { engineId: chosen } = await this.options.engineLoad.reserve(id, slots, this.options.engineMaxStreams, ttlMs);
    const engine = candidates.find((e) => engineId(e.address) === chosen);
    return engine ? this.client(engine.address) : null;
  }

  /** The stream runs on `eid`: its slot there becomes membership, and it holds none elsewhere (after a takeover or a move). */
  async take(id: StreamId, eid: string): Promise<void> {
    await this.options.engineLoad
      .add(eid, id, this.knownIds())
      .catch(logFailure(this.options.logger, 'could not count the stream on its engine', { stream_id: id, engine: eid }));
  }

  /** The stream holds no slot (nor membership) on `eids` any more. */
  async release(id: StreamId, eids: string[]): Promise<void> {
    await this.options.engineLoad
      .remove(eids, id)
      .catch(logFailure(this.options.logger, "could not free the stream's engine slots", { stream_id: id }));
  }

  /** The next engine for a stream leaving `current`, its slot taken; null when none has room. */
  async move(id: StreamId, current: EngineClient): Promise<EngineClient | null> {
    const next = await this.reserve(id, await this.candidates(current));
    if (next) await this.take(id, engineId(next.address));
    return next;
  }

  /**
   * Leaves an engine out of new streams on this worker until its version check answers, and
   * tells the other workers through the engine load (renewed while the checks keep failing).
   * `abandoned`, a session left on it, is stopped once it answers.
   */
  markDown(engine: EngineClient, abandoned: EngineSession | null = null): void {
    const eid = engineId(engine.address);
    const { engineLoad, logger } = this.options;
    // Past the next check's answer, which comes up to an API deadline after the check starts.
    const shareMs = 3 * this.retryMs + this.options.engineApiTimeoutMs;
    const shareFailed = logFailure(logger, 'could not share that an engine is down', { engine: eid });
    void engineLoad.markDown(eid, shareMs).catch(shareFailed);
    this.health.markDown(eid, async () => {
      try {
        await engine.version();
      } catch (err) {
        await engineLoad.markDown(eid, shareMs).catch(shareFailed);
        throw err;
      }
      await engineLoad.clearDown(eid).catch(logFailure(logger, 'could not share that an engine is back', { engine: eid }));
    });
    if (abandoned) {
      this.health.whenUp(eid, () => {
        void engine
          .stopSession(abandoned)
          .catch(logFailure(logger, 'could not stop the session left on an engine', { engine: eid }));
      });
    }
  }

  /** Why no engine took the stream: the counts an operator can act on. */
  noEngineError(candidates: number): EngineError {
    const { engineMaxStreams } = this.options;
    const down = this.health.downIds().length;
    return new EngineError(
      'no_engine_available',
      this.known.length === 0
        ? 'no engine is available'
        : down > 0
          ? `${down} of ${this.known.length} engines are unreachable (checked every ${this.retryMs / 1000} s), the others serve ENGINE_MAX_STREAMS=${engineMaxStreams} streams`
          : candidates === 0
            ? `none of the ${this.known.length} engines is healthy`
            : `all ${this.known.length} engines already serve ENGINE_MAX_STREAMS=${engineMaxStreams} streams`,
    );
  }

  /** The orchestrator's container id of the engine at `address` (its host:port when it has none). */
  containerOf(address: EngineAddress): string {
    const id = engineId(address);
    return this.known.find((e) => engineId(e.address) === id)?.containerId ?? id;
  }

  close(): void {
    this.health.close();
    for (const client of this.clients.values()) client.close();
  }

  private client(address: EngineAddress): EngineClient {
    const id = engineId(address);
    let client = this.clients.get(id);
    if (!client) {
      client = new EngineClient(address, {
        apiTimeoutMs: this.options.engineApiTimeoutMs,
        playbackTimeoutMs: this.options.initTimeoutMs,
      });
      this.clients.set(id, client);
    }
    return client;
  }

  /** Ids of the engines as last listed by the source. */
  knownIds(): string[] {
    return this.known.map((e) => engineId(e.address));
  }
}
