// The relay agent a net lab runs in each host: opens listeners that forward to one target each, optionally delayed.
//
// CONTROL=/tmp/acp-1-abcdef/agent-a.sock node relay-main.js
// It prints {"event":"listening","port":0} once its control socket (HTTP over a Unix socket, which
// the test reaches from its own namespace) takes requests:
//   POST /relays {"listen":"tcp:10.213.0.1:0","target":"tcp:10.213.0.1:6379","ms":10,"jitterMs":2} -> {"id":1,"port":40123}
//   POST /relays {"listen":"unix:/tmp/acp-1-abcdef/p1.sock","target":"tcp:10.213.0.2:8080"}         -> {"id":2,"port":0}
//   PUT /relays/1 {"ms":1,"jitterMs":0} -> 204 (its delay changed, for open connections too)
//   DELETE /relays/1 -> 204 (its listener and connections closed)

import http from 'node:http';
import net from 'node:net';
import { DelayLine, type DelaySpec } from './delay-line.js';

interface RelayRequest extends Partial<DelaySpec> {
  listen: string;
  target: string;
}

type Endpoint = { path: string } | { host: string; port: number };

function endpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) return { path: text.slice('unix:'.length) };
  const match = /^tcp:(.+):(\d+)$/.exec(text);
  if (!match) throw new Error(`relay: endpoint ${JSON.stringify(text)} is neither unix:<path> nor tcp:<host>:<port>`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** Joins a client to a new connection to `target`; with a delay, each direction goes through a DelayLine. */
function forward(client: net.Socket, target: Endpoint, spec: DelaySpec, delayed: boolean): net.Socket {
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
    return upstream;
  }
  const lines = [new DelayLine(client, upstream, spec), new DelayLine(upstream, client, spec)];
  client.once('close', () => {
    for (const line of lines) line.stop();
  });
  return upstream;
}

const relays = new Map<number, { server: net.Server; sockets: Set<net.Socket>; spec: DelaySpec }>();
let nextId = 1;

function open({ listen, target, ms = 0, jitterMs = 0 }: RelayRequest): Promise<{ id: number; port: number }> {
  const to = endpoint(target);
  const sockets = new Set<net.Socket>();
  // One object for all its connections, so a PUT changes the delay of those open too. A TCP
  // listener is a delay relay (its delay may change, even from 0); a Unix one is a portal.
  const spec: DelaySpec = { ms, jitterMs };
  const delayed = listen.startsWith('tcp:');
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = forward(client, to, spec, delayed);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint(listen), () => {
      const id = nextId++;
      relays.set(id, { server, sockets, spec });
      const address = server.address();
      resolve({ id, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

function close(id: number): void {
  const relay = relays.get(id);
  relays.delete(id);
  relay?.server.close();
  for (const socket of relay?.sockets ?? []) socket.destroy();
}

const control = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/relays') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const opened = await open(JSON.parse(body) as RelayRequest);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(opened));
      return;
    }
    const match = /^\/relays\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'PUT' && match) {
      const relay = relays.get(Number(match[1]));
      if (!relay) throw new Error(`no relay ${match[1]}`);
      let body = '';
      for await (const chunk of req) body += chunk;
      const { ms = 0, jitterMs = 0 } = JSON.parse(body) as Partial<DelaySpec>;
      Object.assign(relay.spec, { ms, jitterMs });
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'DELETE' && match) {
      close(Number(match[1]));
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end(`relay: no route ${req.method} ${req.url}`);
  } catch (err) {
    res.writeHead(400).end(`relay: ${(err as Error).message}`);
  }
});

control.listen(process.env.CONTROL ?? '', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: 0 })}\n`);
});
