// Preloaded into a gateway's processes (node --import) by playlist-rewrite-load.test.ts: each
// main thread prints its longest event-loop delay every 500 ms, so a player's gap can be told
// apart as the gateway's own stall or the machine's (the delay counts both; the control does not).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  setInterval(() => {
    process.stderr.write(
      `${JSON.stringify({ loop_delay_max_ms: Math.round(delay.max / 1e6), pid: process.pid, at: Date.now() })}\n`,
    );
    delay.reset();
  }, 500).unref();
}
