// A load-generator process for the hls scenario: runs its share of the HLS players and counts their
// responses, so the players never share an event loop with the bench process that measures.
// Forked by hls.mjs (through readers.mjs); speaks over the IPC channel (messages below).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HlsPlayer } from './hls-player.mjs';
import { cpuSeconds, epoch } from './readers.mjs';

// This process's own event-loop delay: a reader that lags stretches every response time it stamps.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

const players = [];
const stats = { playlistMs: [], segmentMs: [], segmentBytes: 0, segmentErrors: 0, failures: [], reloads: 0 };
/** Where the counters stood at named moments, and this process's CPU time then. */
const marks = new Map();

function takeMark(name) {
  marks.set(name, {
    at: epoch(),
    cpuS: cpuSeconds(),
    playlists: stats.playlistMs.length,
    segments: stats.segmentMs.length,
    segmentBytes: stats.segmentBytes,
    segmentErrors: stats.segmentErrors,
    reloads: stats.reloads,
  });
  // The lag figure covers the window from its first mark on, not the players' arrival.
  if (marks.size === 1) lag.reset();
}

/** `play`: `count` players of `url`, evenly spread from `startAt` (epoch ms) over `spreadMs`. */
function play({ url, count, startAt, spreadMs }) {
  for (let i = 0; i < count; i++) {
    const at = startAt + (count > 1 ? (i * spreadMs) / (count - 1) : 0);
    setTimeout(() => players.push(new HlsPlayer(url, stats)), Math.max(0, at - epoch()));
  }
}

/** What the players did between marks `from` and `to`: every response time, and the counts. */
function report({ from, to }) {
  const a = marks.get(from);
  const b = marks.get(to);
  if (!a || !b) throw new Error(`report from ${from} to ${to}: marks taken are ${[...marks.keys()].join(', ') || 'none'}`);
  return {
    players: players.length,
    failures: stats.failures,
    marks: Object.fromEntries(marks),
    segmentMs: stats.segmentMs.slice(a.segments, b.segments),
    playlistMs: stats.playlistMs.slice(a.playlists, b.playlists),
    segmentBytes: b.segmentBytes - a.segmentBytes,
    segmentErrors: b.segmentErrors - a.segmentErrors,
    reloads: b.reloads - a.reloads,
    lagMs: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
  };
}

process.on('message', async (message) => {
  if (message.type === 'play') play(message);
  else if (message.type === 'mark') {
    // At a set moment (epoch ms), so every reader and the parent's CPU samples share the window.
    setTimeout(() => takeMark(message.name), Math.max(0, message.at - epoch()));
  } else if (message.type === 'report') {
    try {
      process.send({ type: 'report', ...report(message) });
    } catch (err) {
      process.send({ type: 'report', error: err.message });
    }
  } else if (message.type === 'close') {
    await Promise.all(players.map((p) => p.stop()));
    process.disconnect();
  }
});
process.send({ type: 'ready' });
