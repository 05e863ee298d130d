// A player that times its data: when the last real (non-null) TS packet arrived, and the longest
// silence, keepalive null packets not counted, since a given moment.

import http from 'node:http';

export interface TimedPlayer {
  status: number;
  readonly bytes: number;
  readonly ended: boolean;
  /** performance.now() of the last non-null packet. */
  readonly lastDataAt: number;
  /** Longest wait between non-null packets that ended after `since` (performance.now()). */
  longestGapSince(since: number): number;
  /** Resolves when a non-null packet arrives after `since` (rejects on end or timeout). */
  dataAfter(since: number, timeoutMs: number): Promise<void>;
  close(): void;
}

const NULL_PID = 0x1fff;

export function timedPlayer(url: string): Promise<TimedPlayer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0;
      let ended = false;
      let lastDataAt = Number.NaN;
      /** [end time, length] of every silence longer than 50 ms. */
      const gaps: Array<[number, number]> = [];
      let rest: Buffer = Buffer.alloc(0);
      // An error answer is JSON: kept to say why in failure messages.
      let errorBody = '';
      const waiters = new Set<() => void>();
      res.on('data', (data: Buffer) => {
        bytes += data.length;
        if (res.statusCode !== 200 && errorBody.length < 500) errorBody += data.toString('utf8');
        const now = performance.now();
        const all = rest.length > 0 ? Buffer.concat([rest, data]) : data;
        let off = 0;
        let real = false;
        // Packets are 188-byte aligned from the first byte the gateway sends.
        for (; off + 188 <= all.length; off += 188) {
          const pid = ((all[off + 1]! & 0x1f) << 8) | all[off + 2]!;
          if (pid !== NULL_PID) real = true;
        }
        rest = all.subarray(off);
        if (real) {
          if (!Number.isNaN(lastDataAt) && now - lastDataAt > 50) gaps.push([now, now - lastDataAt]);
          lastDataAt = now;
          for (const w of waiters) w();
        }
      });
      const finish = () => {
        ended = true;
        for (const w of waiters) w();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve({
        status: res.statusCode ?? 0,
        get bytes() {
          return bytes;
        },
        get ended() {
          return ended;
        },
        get lastDataAt() {
          return lastDataAt;
        },
        longestGapSince(since) {
          let longest = 0;
          for (const [end, length] of gaps) if (end > since) longest = Math.max(longest, length);
          // A silence still going on counts too.
          if (!Number.isNaN(lastDataAt)) longest = Math.max(longest, performance.now() - Math.max(lastDataAt, since));
          return longest;
        },
        dataAfter(since, timeoutMs) {
          return new Promise<void>((ok, fail) => {
            const check = () => {
              if (lastDataAt > since) done(null);
              else if (ended)
                done(new Error(`stream ended (status ${res.statusCode}, ${bytes} bytes ${errorBody}) before data arrived`));
            };
            const timer = setTimeout(() => done(new Error(`no data within ${timeoutMs} ms (${bytes} bytes so far)`)), timeoutMs);
            const done = (err: Error | null) => {
              clearTimeout(timer);
              waiters.delete(check);
              if (err) fail(err);
              else ok();
            };
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
