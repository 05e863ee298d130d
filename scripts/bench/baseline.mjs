// Baselines for ratios: the simplest fan-out server (no Redis, no framework). One process by
// default; WORKERS=N runs N node:cluster workers on one port, each with its own engine session:
// the bare node:http floor for joins (issue 25), since the gateway joins on 2 workers.
// Run as a process: ENGINE_PORT=<engine-sim port> [WORKERS=2] node scripts/bench/baseline.mjs
import cluster from 'node:cluster';
import http from 'node:http';

const workers = Number(process.env.WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
  // Workers accept from the one shared socket themselves, with their 4096 backlog (as the
  // gateway's workers do): node's round-robin hands each connection over from a primary whose
  // listen has the default backlog, and a storm then waits out SYN retries.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  await serve();
}

async function serve() {
  const enginePort = Number(process.env.ENGINE_PORT);
  const clients = new Set();
  /** The latest read from the engine: a joiner gets it at once, as the proxy's joiners get their backlog. */
  let last = null;
  // One engine session per worker: the simulated engine serves one reader per content's session.
  const content = (cluster.worker?.id ?? 0).toString(16).padStart(40, 'b');
  const api = await get(`http://127.0.0.1:${enginePort}/ace/getstream?id=${content}&format=json&pid=baseline`);
  let text = '';
  for await (const part of api) text += part;
  const upstream = await get(JSON.parse(text).response.playback_url);
  // TICK_MS: the engine's reads are gathered and sent once per tick, one shared buffer per player
  // (as the proxy sends a chunk per flush interval); unset, each read is sent as it comes.
  const tickMs = Number(process.env.TICK_MS ?? 0);
  // BACKLOG_MS: a joiner gets the ticks of the last BACKLOG_MS at once, as the proxy's joiners get
  // PROXY_INITIAL_BEHIND_SECONDS of backlog (the same bytes per join; unset: the latest tick only).
  const backlogMs = Number(process.env.BACKLOG_MS ?? 0);
  const recent = [];
  const send = (buf) => {
    last = buf;
    if (backlogMs > 0) {
      const now = Date.now();
      recent.push({ at: now, buf });
      while (recent[0].at < now - backlogMs) recent.shift();
    }
    for (const c of clients) c.write(buf);
  };
  const pending = [];
  upstream.on('data', (buf) => (tickMs > 0 ? pending.push(buf) : send(buf)));
  if (tickMs > 0) {
    setInterval(() => {
      if (pending.length > 0) send(Buffer.concat(pending.splice(0)));
    }, tickMs);
  }

  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    // The first byte goes out now, not with the engine's next read (a slow channel reads seldom).
    if (backlogMs > 0 && recent.length > 0) {
      res.cork();
      for (const { buf } of recent) res.write(buf);
      process.nextTick(() => res.uncork());
    } else if (last) res.write(last);
    else res.flushHeaders();
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  // The same accept queue as the gateway's, so a storm is not dropped and retried a second later.
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', 4096, () => {
    process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.address().port })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

function get(url) {
  return new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
}
