// A load-generator process for crowd scenarios: opens its share of players at set moments and
// counts what each one receives, so several of them together can read faster than the proxy sends.
// Forked by crowd-scenarios.mjs; speaks over the IPC channel (messages below).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Player } from './client.mjs';
import { cpuSeconds, epoch } from './readers.mjs';

// This process's own event-loop delay: a load generator that lags late-stamps every first byte.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

/** Players of this process, with the moment each was opened (epoch ms). */
const players = [];
/** Byte counts of every player at named moments, and this process's CPU time then. */
const marks = new Map();

function takeMark(name) {
  marks.set(name, {
    at: epoch(),
    cpuS: cpuSeconds(),
    bytes: players.map((p) => p.player.dataBytes),
  });
}

/**
 * `open`: `count` players on `url`, evenly spread from `startAt` over `spreadMs`; each one's bytes
 * are also noted `fullRateAfterMs` after its own connect (to tell whether it is at full rate then).
 */
function open({ url, count, startAt, spreadMs, firstFrame, fullRateAfterMs }) {
  for (let i = 0; i < count; i++) {
    const at = startAt + (count > 1 ? (i * spreadMs) / (count - 1) : 0);
    setTimeout(
      () => {
        const entry = { player: new Player(url, { light: true, firstFrame }), openedAt: epoch(), later: null };
        players.push(entry);
        if (fullRateAfterMs) {
          setTimeout(() => {
            entry.later = { at: epoch(), bytes: entry.player.dataBytes };
          }, fullRateAfterMs).unref();
        }
      },
      Math.max(0, at - epoch()),
    );
  }
}

function report() {
  return {
    at: epoch(),
    players: players.map(({ player, openedAt, later }) => ({
      openedAt,
      status: player.status,
      ended: player.ended,
      connectMs: player.connectMs,
      ttfbMs: player.ttfb,
      firstFrameMs: player.firstFrameMs,
      bytes: player.dataBytes,
      later,
    })),
    marks: Object.fromEntries(marks),
    lagMs: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
  };
}

process.on('message', (message) => {
  if (message.type === 'open') open(message);
  else if (message.type === 'mark') {
    // At a set moment (epoch ms), so every reader and the parent's CPU samples share the window.
    setTimeout(() => takeMark(message.name), Math.max(0, message.at - epoch()));
  } else if (message.type === 'report') process.send({ type: 'report', ...report() });
  else if (message.type === 'close') {
    for (const { player } of players) player.close();
    process.disconnect();
  }
});
process.send({ type: 'ready' });
