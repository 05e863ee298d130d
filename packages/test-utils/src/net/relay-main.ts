// The relay process a net lab runs inside a host: listens, forwards every connection to one target, optionally delayed.
//
// LISTEN=tcp:10.213.0.1:0 TARGET=tcp:10.213.0.1:6379 DELAY_MS=10 JITTER_MS=2 node relay-main.js
// LISTEN=unix:/tmp/acp-1-abcdef/p1.sock TARGET=tcp:10.213.0.2:8080 node relay-main.js
// It prints {"event":"listening","port":N} (0 on a Unix socket), as startNodeProcess expects.

import net from 'node:net';
import { DelayLine } from './delay-line.js';

type Endpoint = { path: string } | { host: string; port: number };

function endpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) return { path: text.slice('unix:'.length) };
  const match = /^tcp:(.+):(\d+)$/.exec(text);
  if (!match) throw new Error(`relay: endpoint ${JSON.stringify(text)} is neither unix:<path> nor tcp:<host>:<port>`);
  return { host: match[1]!, port: Number(match[2]) };
}

const listen = endpoint(process.env.LISTEN ?? '');
const target = endpoint(process.env.TARGET ?? '');
const spec = { ms: Number(process.env.DELAY_MS ?? 0), jitterMs: Number(process.env.JITTER_MS ?? 0) };
const delayed = spec.ms > 0 || spec.jitterMs > 0;

const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ ...target, allowHalfOpen: true });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  // A reset or failure on one side resets the other, as a lost path would look to both ends.
  const fail = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', fail).on('close', fail);
  upstream.on('error', fail).on('close', fail);
  if (!delayed) {
    client.pipe(upstream);
    upstream.pipe(client);
    return;
  }
  const lines = [new DelayLine(client, upstream, spec), new DelayLine(upstream, client, spec)];
  client.once('close', () => {
    for (const line of lines) line.stop();
  });
});

server.listen(listen, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
