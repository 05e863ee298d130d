// Where the engine list comes from: the static ENGINES list, or the orchestrator (see its package).

import type { EngineAddress } from './errors.js';
import type { EngineCandidate } from './selection.js';

export interface SourcedEngine extends EngineCandidate {
  /** The orchestrator's id for the engine's container (`host:port` for static engines). */
  containerId: string;
  /** Streams the orchestrator counts on this engine, from every proxy (0 when unknown). */
  load: number;
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
      load: 0,
    }));
  }
  async list(): Promise<SourcedEngine[]> {
    return this.engines;
  }
}
