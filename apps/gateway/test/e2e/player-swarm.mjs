// Many players in one process on a net lab host: each reads one stream and times the engine's probes.
//
// HOST=10.x.y.z PORT=0 node player-swarm.mjs, then over HTTP:
//   POST /players?url=<stream url>&count=N  opens N players (one connection each, no reconnect)
//   POST /mark                               starts a measuring window
//   GET  /stats                              since the mark: bytes, engine->player latency (p50, p99, and
//                                            probes over 250 ms), probe sequence breaks (a jump or lost
//                                            data), players ended
//   DELETE /players                          closes them all
// It prints {"event":"listening","port":N} when it takes requests.

import http from 'node:http';
import { ProbeScanner } from '../../../engine-sim/dist/index.js';

/** @type {Set<{ req: http.ClientRequest, bytes: number, ended: boolean, breaks: number, last: Map<number, number> }>} */
const players = new Set();
let mark = { at: Date.now(), bytes: 0 };
/** Engine->player latencies (ms) of probes that arrived since the mark. */
let latencies = [];
let breaks = 0;

function open(url) {
  const player = { req: null, bytes: 0, ended: false, breaks: 0, last: new Map() };
  const scanner = new ProbeScanner();
  player.req = http.get(url, { agent: false }, (res) => {
    res.on('data', (data) => {
      player.bytes += data.length;
      const now = Date.now();
      for (const probe of scanner.push(data)) {
        latencies.push(now - probe.sentAt);
        const last = player.last.get(probe.session);
        // Probes of one engine session come with seq + 1: anything else is data the player never got.
        if (last !== undefined && probe.seq !== last + 1) {
          player.breaks++;
          breaks++;
        }
        player.last.set(probe.session, probe.seq);
      }
    });
    const end = () => {
      player.ended = true;
    };
    res.once('close', end);
    res.once('error', end);
  });
  player.req.on('error', () => {
    player.ended = true;
  });
  players.add(player);
}

function totalBytes() {
  let bytes = 0;
  for (const p of players) bytes += p.bytes;
  return bytes;
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://swarm');
  const json = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (req.method === 'POST' && url.pathname === '/players') {
    const count = Number(url.searchParams.get('count') ?? 1);
    for (let i = 0; i < count; i++) open(url.searchParams.get('url'));
    return json(200, { players: players.size });
  }
  if (req.method === 'POST' && url.pathname === '/mark') {
    mark = { at: Date.now(), bytes: totalBytes() };
    latencies = [];
    breaks = 0;
    return json(200, mark);
  }
  if (req.method === 'GET' && url.pathname === '/stats') {
    const sorted = [...latencies].sort((a, b) => a - b);
    let receiving = 0;
    for (const p of players) if (p.bytes > 0) receiving++;
    return json(200, {
      players: players.size,
      receiving,
      ended: [...players].filter((p) => p.ended).length,
      ms: Date.now() - mark.at,
      bytes: totalBytes() - mark.bytes,
      probes: sorted.length,
      p50: Math.round(percentile(sorted, 0.5) ?? Number.NaN),
      p99: Math.round(percentile(sorted, 0.99) ?? Number.NaN),
      over250: sorted.filter((ms) => ms > 250).length,
      breaks,
    });
  }
  if (req.method === 'DELETE' && url.pathname === '/players') {
    for (const p of players) p.req.destroy();
    players.clear();
    return json(200, {});
  }
  json(404, { error: 'no such route' });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.address().port })}\n`);
});
