// Which engines a new stream may go to, and in which order ties in load are broken.

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
 * Healthy candidates, forwarded ones first, then in the configured order. The slot reservation
 * (EngineLoad.reserve) takes the least loaded of them below ENGINE_MAX_STREAMS, the first of
 * this order on equal load: load is only known, and only counts, at the moment of reserving.
 */
export function preferenceOrder<T extends EngineCandidate>(candidates: readonly T[]): T[] {
  return candidates
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.healthy)
    .sort((a, b) => Number(b.c.forwarded) - Number(a.c.forwarded) || a.i - b.i)
    .map(({ c }) => c);
}
