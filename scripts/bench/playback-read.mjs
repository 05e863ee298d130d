// Engine playback read: node:http vs node-fetch, CPU per GB and throughput (issue 11 item 3).
// Run: node scripts/bench/playback-read.mjs [--mb 1000] [--runs 3]. A child process serves a
// stream of TS packets as fast as loopback takes it; this process reads it each way, alternating,
// and counts only its own CPU.
import { fork } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import fetch from '../../packages/engine/node_modules/node-fetch/src/index.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, serve: { type: 'boolean' } },
});
const total = Number(values.mb) * 1e6;
const piece = Buffer.alloc(188 * 348, 0x47); // ~64 KB of packets per write

let url = '';

/** Reads the whole body with 'data' handlers that touch each chunk, as the owner's reader does. */
async function viaHttp() {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let n = 0;
        res.on('data', (d) => {
          n += d.length;
        });
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
}

async function viaNodeFetch() {
  const res = await fetch(url, { agent: () => undefined });
  let n = 0;
  for await (const d of res.body) n += d.length;
  return n;
}

async function measure(read) {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await read();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { mbps: (bytes * 8) / 1e6 / (ms / 1000), cpuMsPerGb: (used.user + used.system) / 1000 / (bytes / 1e9) };
}

async function main() {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', '--mb', values.mb]);
  const port = await new Promise((resolve) => child.once('message', resolve));
  url = `http://127.0.0.1:${port}/`;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = { 'node:http': [], 'node-fetch': [] };
  for (let run = 0; run < Number(values.runs); run++) {
    results['node:http'].push(await measure(viaHttp));
    results['node-fetch'].push(await measure(viaNodeFetch));
  }
  const base = median(results['node:http'].map((r) => r.cpuMsPerGb));
  for (const [name, runs] of Object.entries(results)) {
    const cpu = median(runs.map((r) => r.cpuMsPerGb));
    console.log(
      `${name.padEnd(10)} ${Math.round(median(runs.map((r) => r.mbps)))} Mbit/s, reader CPU ${Math.round(cpu)} ms per GB (${(cpu / base).toFixed(2)}x node:http; median of ${runs.length})`,
    );
  }
  child.kill();
}

if (process.argv[2] === '--serve') {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  await main();
}
