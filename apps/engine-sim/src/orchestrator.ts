// A simulated orchestrator: lists engines, records the events the proxy sends, fails on request.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimEngine {
  container_id: string;
  host: string;
  port: number;
  forwarded: boolean;
}

export interface RecordedEvent {
  name: 'stream_started' | 'stream_ended';
  body: Record<string, unknown>;
  receivedAt: number;
  authorization: string | null;
}

export interface OrchestratorSimOptions {
  port?: number;
  host?: string;
  engines?: SimEngine[];
}

export interface OrchestratorSim {
  url: string;
  port: number;
  events(): RecordedEvent[];
  /** While failing, every request is answered 503 (an orchestrator that is down). */
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return parts.length > 0 ? (JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>) : {};
}

/** An event as the proxy posted it to `/events/<name>`. */
async function recorded(req: IncomingMessage, url: URL): Promise<RecordedEvent> {
  const name = url.pathname.slice('/events/'.length) as RecordedEvent['name'];
  return { name, body: await readJson(req), receivedAt: Date.now(), authorization: req.headers.authorization ?? null };
}

export async function startOrchestratorSim(options: OrchestratorSimOptions = {}): Promise<OrchestratorSim> {
  const events: RecordedEvent[] = [];
  const refused: RecordedEvent[] = [];
  const engines = options.engines ?? [];
  let failing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = `${req.method} ${url.pathname}`;
    // The controls stay reachable while "down", so a test can bring it back.
    if (route === 'PUT /sim/orchestrator') {
      failing = Boolean((await readJson(req)).failing);
      return json(res, 200, { failing });
    }
    if (route === 'GET /sim/events') return json(res, 200, events);
    if (route === 'GET /sim/refused') return json(res, 200, refused);
    if (failing) {
      // Each event the proxy tried to deliver while "down": a test sees its retries as they happen.
      if (route.startsWith('POST /events/')) {
        refused.push(await recorded(req, url));
      }
      return json(res, 503, { error: 'orchestrator is down (simulated)' });
    }
    if (route === 'GET /engines') return json(res, 200, engines);
    if (route === 'GET /streams') {
      const ended = new Set(events.filter((e) => e.name === 'stream_ended').map((e) => e.body.stream_id));
      const started = events.filter(
        (e) => e.name === 'stream_started' && !ended.has((e.body.labels as { stream_id: string }).stream_id),
      );
      return json(
        res,
        200,
        started.map((e) => e.body),
      );
    }
    if (route === 'POST /events/stream_started' || route === 'POST /events/stream_ended') {
      events.push(await recorded(req, url));
      return json(res, 200, { ok: true });
    }
    json(res, 404, { error: `no route ${route}` });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => json(res, 500, { error: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    events: () => [...events],
    setFailing: (value) => {
      failing = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
