// A long-running player for soak runs: checks engine-sim's probe sequence as bytes arrive, keeps none.

import http from 'node:http';
import { ProbeScanner } from '@acestream-proxy/engine-sim';

export interface ProbePlayer {
  readonly userAgent: string;
  readonly bytes: number;
  readonly ended: boolean;
  /** Probes seen. */
  readonly probes: number;
  /** Probe sequence breaks inside one engine session (live-edge jumps, or loss). */
  readonly gaps: number;
  /** Probes missing across those breaks. */
  readonly missing: number;
  /** Engine sessions seen after the first (owner takeovers, engine moves). */
  readonly sessionChanges: number;
  close(): void;
}

/** Connects one player with its own User-Agent (to find its client record) and starts checking. */
export function probePlayer(url: string, userAgent: string): Promise<ProbePlayer> {
  return new Promise((resolve, reject) => {
    const scanner = new ProbeScanner();
    const state = { bytes: 0, ended: false, probes: 0, gaps: 0, missing: 0, sessionChanges: 0 };
    let session = -1;
    let seq = -1;
    const req = http.get(url, { agent: false, headers: { 'user-agent': userAgent } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${userAgent}: HTTP ${res.statusCode}`));
        return;
      }
      res.on('data', (data: Buffer) => {
        state.bytes += data.length;
        for (const probe of scanner.push(data)) {
          state.probes++;
          // Each engine-sim numbers its own sessions: a sequence starting over is a new session too.
          if (probe.session !== session || probe.seq <= seq) {
            if (session !== -1) state.sessionChanges++;
            session = probe.session;
          } else if (probe.seq !== seq + 1) {
            state.gaps++;
            state.missing += Math.max(0, probe.seq - seq - 1);
          }
          seq = probe.seq;
        }
      });
      const end = () => {
        state.ended = true;
      };
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
      resolve({
        userAgent,
        get bytes() {
          return state.bytes;
        },
        get ended() {
          return state.ended;
        },
        get probes() {
          return state.probes;
        },
        get gaps() {
          return state.gaps;
        },
        get missing() {
          return state.missing;
        },
        get sessionChanges() {
          return state.sessionChanges;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
