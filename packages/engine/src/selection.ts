// Which engine a new stream goes to: healthy, below its stream limit, least loaded, forwarded first.

import type { EngineAddress } from './errors.js';

export interface EngineCandidate {
  address: EngineAddress;
  /** Reachable from outside through a forwarded port (the orchestrator says so); preferred. */
  forwarded: boolean;
  healthy: boolean;
}

export function engineId(address: EngineAddress): string {
  return `${address.host}:${address.port}`;
}

/**
 * Candidates in the order to try them: unhealthy and full engines (active + pending starts at or
 * above `maxStreams`) are left out; least loaded first; on equal load forwarded engines first,
 * then the configured order.
 */
export function rankEngines(candidates: EngineCandidate[], load: Map<string, number>, maxStreams: number): EngineCandidate[] {
  return candidates
    .map((c, i) => ({ c, i, load: load.get(engineId(c.address)) ?? 0 }))
    .filter(({ c, load }) => c.healthy && load < maxStreams)
    .sort((a, b) => a.load - b.load || Number(b.c.forwarded) - Number(a.c.forwarded) || a.i - b.i)
    .map(({ c }) => c);
}
