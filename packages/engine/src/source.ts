// Where the engine list comes from: the static ENGINES list, or the orchestrator (see its package).

import type { EngineAddress } from './errors.js';
import type { EngineCandidate } from './selection.js';

export interface SourcedEngine extends EngineCandidate {
  /** The orchestrator's id for the engine's container (`host:port` for static engines). */
  containerId: string;
  /**
   * Keys (content ids) of the streams the orchestrator counts on this engine, from every proxy
   * ('' for one listed without a key; none when unknown): they count against ENGINE_MAX_STREAMS.
   */
  streams: string[];
}

export interface EngineSource {
  list(): Promise<SourcedEngine[]>;
}

export class StaticEngineSource implements EngineSource {
  private readonly engines: SourcedEngine[];
  constructor(addresses: readonly EngineAddress[]) {
    this.engines = addresses.map((address) => ({
      address,
      containerId: `${address.host}:${address.port}`,
      forwarded: false,
      healthy: true,
      streams: [],
    }));
  }
  async list(): Promise<SourcedEngine[]> {
    return this.engines;
  }
}
