// Byte helpers for end-to-end tests; processes are started by test-utils' startStack fixture.

import { ProbeScanner } from '@acestream-proxy/engine-sim';
import { type Capture, waitFor } from '@acestream-proxy/test-utils';

/** Debian's Chromium, as the page tests drive it through playwright-core (no browser download here). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, throwaway headless Chromium (no sandbox: CI runs as root). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export { type SimSessions, setFault, simSessions, startGateway, startSim, stopAll, waitFor } from '@acestream-proxy/test-utils';

/** What the tests read of a /proxy/events snapshot. */
export interface Snapshot {
  streams: Array<{ id: string; state: string; client_count: number; clients: Array<{ user_agent: string }> }>;
  log: Array<{ kind: string; stream_id: string | null; detail: string }>;
}

/**
 * Reads `snapshot` events from /proxy/events until one satisfies `wanted` (or the deadline passes);
 * `headers` for AUTH=token's operator key.
 */
export async function snapshotWhere(
  url: string,
  wanted: (s: Snapshot) => boolean,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<Snapshot> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error(`no matching snapshot within ${timeoutMs} ms`)), timeoutMs);
  const res = await fetch(`${url}/proxy/events`, { signal: stop.signal, headers });
  const type = res.headers.get('content-type');
  if (type !== 'text/event-stream; charset=utf-8') throw new Error(`/proxy/events answered ${res.status} ${type}`);
  const decoder = new TextDecoder();
  let text = '';
  let last: Snapshot | null = null;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const event = text.slice(0, end);
        text = text.slice(end + 2);
        const data = /^event: snapshot\ndata: (.*)$/s.exec(event)?.[1];
        if (data) {
          last = JSON.parse(data) as Snapshot;
          if (wanted(last)) return last;
        }
        end = text.indexOf('\n\n');
      }
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last)}`);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  throw new Error(`the event stream ended; last: ${JSON.stringify(last)}`);
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

/**
 * Resolves with the arrival time (ms since the epoch) of the first probe the engine sent after
 * `since` (ms since the epoch): when a player received data again after a fault.
 */
export async function firstProbeSentAfter(player: Capture, since: number, what: string, timeoutMs: number): Promise<number> {
  const scanner = new ProbeScanner();
  let offset = player.length - (player.length % 188);
  let arrived = 0;
  await waitFor(
    () => {
      const end = player.length - (player.length % 188);
      if (scanner.push(player.bytes().subarray(offset, end)).some((p) => p.sentAt > since)) arrived = Date.now();
      offset = end;
      return arrived > 0;
    },
    { what, timeoutMs, intervalMs: 50 },
  );
  return arrived;
}
