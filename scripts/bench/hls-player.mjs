// An HLS player of the bench as hls.js or ffmpeg behaves at the live edge, and the GET it uses.
// Run by the reader processes (hls-readers.mjs); the bench process uses `get` for its watcher.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * GET over the player's own keep-alive connection; resolves with status, length, time to the last
 * byte and (unless `countOnly`, for segments) the body.
 */
export function get(agent, url, countOnly = false) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const parts = [];
      let length = 0;
      res.on('data', (d) => {
        length += d.length;
        if (!countOnly) parts.push(d);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, length, body: Buffer.concat(parts), ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}

/** The media playlist's URL, from the master playlist at `manifestUrl`. */
export async function mediaPlaylist(agent, manifestUrl) {
  const master = await get(agent, manifestUrl);
  if (master.status !== 200) throw new Error(`manifest ${manifestUrl} answered ${master.status}`);
  return new URL(master.body.toString().trim().split('\n').at(-1), manifestUrl).href;
}

/** The segment URIs a media playlist lists, oldest first. */
export const segmentUris = (body) =>
  body
    .toString()
    .split('\n')
    .filter((l) => l.endsWith('.ts'));

/**
 * One HLS player: reloads the media playlist every target duration (2 s) and fetches each segment
 * it has not fetched yet, starting three from the end. Counts into `stats` (shared by the players
 * of one reader process): response times, segment bytes and errors, reloads; a player that fails
 * (a refused manifest, a socket error) stops and its message goes to `stats.failures`.
 */
export class HlsPlayer {
  constructor(manifestUrl, stats) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.stats = stats;
    this.stopped = false;
    this.running = this.run(manifestUrl).catch((err) => {
      if (!this.stopped) stats.failures.push(err.message);
    });
  }

  async run(manifestUrl) {
    const media = await mediaPlaylist(this.agent, manifestUrl);
    let next = -1;
    while (!this.stopped) {
      this.stats.reloads++;
      const reloadAt = performance.now() + 2000;
      const list = await get(this.agent, media);
      this.stats.playlistMs.push(list.ms);
      const sequences = segmentUris(list.body).map((u) => Number(u.slice(0, -3)));
      if (next < 0) next = sequences.at(-3) ?? sequences[0];
      for (const n of sequences) {
        if (n < next || this.stopped) continue;
        const seg = await get(this.agent, new URL(`${n}.ts`, media).href, true);
        if (seg.status === 200) {
          this.stats.segmentMs.push(seg.ms);
          this.stats.segmentBytes += seg.length;
        } else this.stats.segmentErrors++;
        next = n + 1;
      }
      await sleep(Math.max(0, reloadAt - performance.now()));
    }
  }

  /** Ends the player now: a request in flight is cut, not waited for. */
  async stop() {
    this.stopped = true;
    this.agent.destroy();
    await this.running;
  }
}
