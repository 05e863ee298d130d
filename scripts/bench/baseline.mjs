// Baselines for ratios: the simplest fan-out server (no Redis, no framework). One process by
// default; WORKERS=N runs N node:cluster workers on one port, each with its own engine session:
// the bare node:http floor for joins (issue 25), since the gateway joins on 2 workers.
// Run as a process: ENGINE_PORT=<engine-sim port> [WORKERS=2] node scripts/bench/baseline.mjs
import cluster from 'node:cluster';
import http from 'node:http';

const workers = Number(process.env.WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
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
  // One engine session per worker: the simulated engine serves one reader per content's session.
  const content = (cluster.worker?.id ?? 0).toString(16).padStart(40, 'b');
  const api = await get(`http://127.0.0.1:${enginePort}/ace/getstream?id=${content}&format=json&pid=baseline`);
  let text = '';
  for await (const part of api) text += part;
  const upstream = await get(JSON.parse(text).response.playback_url);
  upstream.on('data', (buf) => {
    for (const c of clients) c.write(buf);
  });

  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
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
