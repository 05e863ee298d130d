// Baseline for ratios: the simplest fan-out server (one process, no Redis, no framework).
// Run as a process: ENGINE_PORT=<engine-sim port> node scripts/bench/baseline.mjs
import http from 'node:http';

const enginePort = Number(process.env.ENGINE_PORT);
const clients = new Set();

function get(url) {
  return new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
}

const api = await get(`http://127.0.0.1:${enginePort}/ace/getstream?id=${'b'.repeat(40)}&format=json&pid=baseline`);
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
