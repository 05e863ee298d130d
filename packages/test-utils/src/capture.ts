// A player stand-in: reads a live HTTP stream over a real socket and keeps every byte.

import http from 'node:http';

export interface Capture {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Milliseconds from request to the first body byte (NaN until then). */
  firstByteMs: number;
  bytes(): Buffer;
  readonly length: number;
  readonly ended: boolean;
  /** Resolves when at least `n` bytes have arrived (rejects if the stream ends first). */
  waitForBytes(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the response. */
  waitForEnd(timeoutMs?: number): Promise<void>;
  /** Stops reading without closing: the socket's buffers fill and the server sees backpressure. */
  pause(): void;
  resume(): void;
  /** Closes the connection as a player being switched off would. */
  close(): void;
}

/** `localAddress`: the player's own address (any 127/8 address on Linux loopback: a second client). */
export function capture(
  url: string,
  headers: Record<string, string> = {},
  { localAddress }: { localAddress?: string } = {},
): Promise<Capture> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, localAddress }, (res) => {
      const parts: Buffer[] = [];
      let length = 0;
      let ended = false;
      let firstByteMs = Number.NaN;
      const waiters = new Set<() => void>();
      const wake = () => {
        for (const waiter of waiters) waiter();
      };
      res.on('data', (data: Buffer) => {
        if (length === 0) firstByteMs = performance.now() - started;
        parts.push(data);
        length += data.length;
        wake();
      });
      const finish = () => {
        ended = true;
        wake();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const until = (done: () => boolean, what: string, timeoutMs: number) =>
        new Promise<void>((ok, fail) => {
          const check = () => {
            if (done()) {
              cleanup();
              ok();
            } else if (ended) {
              cleanup();
              fail(new Error(`stream ended after ${length} bytes while waiting for ${what}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${length} bytes)`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      const result: Capture = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get firstByteMs() {
          return firstByteMs;
        },
        bytes: () => Buffer.concat(parts),
        get length() {
          return length;
        },
        get ended() {
          return ended;
        },
        waitForBytes: (n, timeoutMs = 10_000) => until(() => length >= n, `${n} bytes`, timeoutMs),
        waitForEnd: (timeoutMs = 10_000) =>
          new Promise<void>((ok, fail) => {
            if (ended) return ok();
            const timer = setTimeout(() => fail(new Error(`stream did not end within ${timeoutMs} ms`)), timeoutMs);
            waiters.add(() => {
              if (!ended) return;
              clearTimeout(timer);
              ok();
            });
          }),
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => {
          res.destroy();
          req.destroy();
        },
      };
      resolve(result);
    });
    req.on('error', reject);
  });
}

/** Fetches JSON over a real socket (status and parsed body). */
export async function getJson<T = unknown>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}
