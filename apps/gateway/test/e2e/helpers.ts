// Shared set-up for end-to-end tests: real engine-sim and gateway processes on free ports.

import { getJson, type StartedProcess, startNodeProcess, waitFor } from '@acestream-proxy/test-utils';

export const ENGINE_SIM = 'apps/engine-sim/dist/main.js';
export const GATEWAY = 'apps/gateway/dist/main.js';

export interface SimSessions {
  started: number;
  stopped: number;
  active: number;
  stop_reasons: Record<string, number>;
}

export function startSim(env: Record<string, string> = {}): Promise<StartedProcess> {
  return startNodeProcess(ENGINE_SIM, { env: { BITRATE: '2000000', ...env } });
}

export function startGateway(sim: StartedProcess | null, env: Record<string, string> = {}): Promise<StartedProcess> {
  return startNodeProcess(GATEWAY, {
    env: {
      ENGINES: sim ? `127.0.0.1:${sim.port}` : '127.0.0.1:1',
      PROXY_GRACE_PERIOD: '0.5',
      PROXY_INITIAL_BEHIND_SECONDS: '1',
      WORKERS: '1',
      ...env,
    },
  });
}

export async function simSessions(sim: StartedProcess): Promise<SimSessions> {
  return (await getJson<SimSessions>(`${sim.url}/sim/sessions`)).body;
}

export async function setFault(sim: StartedProcess, id: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.url}/sim/faults/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`engine-sim refused the fault: ${res.status}`);
}

/** Drops null (keepalive) packets so captures of different clients can be compared. */
export function withoutNullPackets(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  for (let off = 0; off + 188 <= bytes.length; off += 188) {
    const pid = ((bytes[off + 1]! & 0x1f) << 8) | bytes[off + 2]!;
    if (pid !== 0x1fff) kept.push(bytes.subarray(off, off + 188));
  }
  return Buffer.concat(kept);
}

/**
 * Length of the overlap of two captures of one live stream: where the later joiner's data
 * starts inside the other's, and how many bytes from there are identical.
 */
export function overlap(a: Buffer, b: Buffer): { equalBytes: number; comparedBytes: number } {
  // Skip the first packets: a joiner's stream starts with PAT+PMT inserted just for it.
  const start = 188 * 10;
  const at = a.indexOf(b.subarray(start, start + 188 * 20));
  if (at < 0) {
    if (b.indexOf(a.subarray(start, start + 188 * 20)) < 0) return { equalBytes: 0, comparedBytes: 0 };
    return overlap(b, a);
  }
  const from = at - start;
  const compared = Math.min(a.length - from, b.length) - start;
  let equal = 0;
  while (equal < compared && a[at + equal] === b[start + equal]) equal++;
  return { equalBytes: equal, comparedBytes: compared };
}

export async function stopAll(...procs: Array<StartedProcess | null | undefined>): Promise<void> {
  await Promise.all(procs.map((p) => p?.stop()));
}

export { waitFor };
