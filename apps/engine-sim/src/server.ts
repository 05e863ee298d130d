// The simulated engine's HTTP API: AceStream's getstream / playback / stat / command, plus /sim/*.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Faults, parseFaults } from './faults.js';
import { FileSource } from './file-source.js';
import { Playback, PROBE_BYTE_RATE } from './playback.js';
import { SessionRegistry, type SimStats } from './sessions.js';
import type { TsSource } from './source.js';
import { SyntheticSource } from './synthetic.js';

export interface EngineSimOptions {
  port?: number;
  host?: string;
  /** Bits per second (synthetic source). */
  bitrate?: number;
  /** Seconds between random access points (synthetic source). */
  gop?: number;
  source?: 'synthetic' | 'file';
  sourceFile?: string;
  /** Faults applied to every stream unless a per-id fault is set. */
  faults?: Faults;
  /** Seconds a session with no reader survives. */
  idleTimeoutS?: number;
  /** Number of the first session (probes carry it): sims of one test numbered apart tell whose bytes a chunk holds. */
  firstSession?: number;
}

/** One getstream request, as `/sim/requests` lists them (tests check reconnect spacing and answer sizes). */
export interface SimRequest {
  id: string;
  /** When it came, ms since the epoch. */
  at: number;
  answer: 'session' | 'error';
  /** Bytes of the answer the sim got to write before it was done or the asker hung up. */
  bytes: number;
}

/** The newest requests kept for `/sim/requests`. */
const MAX_REQUESTS = 200;

/** Writes a `size`-byte getstream answer in pieces, each once the last drained, counting into `sent`. */
async function paddedAnswer(res: ServerResponse, body: Record<string, unknown>, size: number, sent: SimRequest): Promise<void> {
  const head = Buffer.from(`${JSON.stringify(body).slice(0, -1)},"padding":"`);
  const tail = Buffer.from('"}');
  const padding = Math.max(0, size - head.length - tail.length);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': head.length + padding + tail.length });
  const piece = Buffer.alloc(64 * 1024, 0x78);
  const write = async (bytes: Buffer) => {
    if (res.destroyed) return;
    sent.bytes += bytes.length;
    if (!res.write(bytes))
      await new Promise((resolve) => (res.destroyed ? resolve(null) : res.once('drain', resolve).once('close', resolve)));
  };
  await write(head);
  for (let left = padding; left > 0 && !res.destroyed; left -= piece.length)
    await write(piece.subarray(0, Math.min(left, piece.length)));
  if (!res.destroyed) {
    sent.bytes += tail.length;
    res.end(tail);
  }
}

export interface EngineSim {
  url: string;
  port: number;
  host: string;
  stats(): SimStats;
  setFault(id: string, faults: Faults): void;
  clearFaults(): void;
  /** Freezes the whole engine (see `hang` in the routes) or thaws it. */
  setHang(hung: boolean): void;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const engineError = (res: ServerResponse, message: string) => json(res, 200, { response: null, error: message });

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startEngineSim(options: EngineSimOptions = {}): Promise<EngineSim> {
  const host = options.host ?? '127.0.0.1';
  const bitrate = options.bitrate ?? 4_000_000;
  const gop = options.gop ?? 1;
  const sourceKind = options.source ?? 'synthetic';
  if (sourceKind === 'file' && !options.sourceFile) throw new Error('SOURCE=file needs SOURCE_FILE');
  // Read and measure the file once; every session loops its own copy of the timeline.
  if (sourceKind === 'file') new FileSource(options.sourceFile!);
  const makeSource = (): TsSource =>
    sourceKind === 'file'
      ? new FileSource(options.sourceFile!)
      : new SyntheticSource({ bitrate, gopSeconds: gop, overheadByteRate: PROBE_BYTE_RATE });
  const sessions = new SessionRegistry((options.idleTimeoutS ?? 60) * 1000, options.firstSession ?? 1);
  const faults = new Map<string, Faults>();
  const playbacks = new Set<Playback>();
  /**
   * A hung engine (a frozen or overloaded process, `kill -STOP`): it accepts connections and
   * never answers them, and its playbacks stop sending while their connections stay open.
   * Only /sim/* keeps answering, so a test can thaw it.
   */
  let hung = false;
  const unanswered = new Set<ServerResponse>();
  const setHang = (value: boolean) => {
    hung = value;
    // Thawed: what piled up meanwhile is dropped, as a restarted engine would.
    if (!hung) for (const res of unanswered) res.destroy();
    unanswered.clear();
  };
  let base = '';

  const faultsFor = (id: string, query: URLSearchParams): Faults => ({
    ...options.faults,
    ...faults.get(id),
    ...parseFaults(Object.fromEntries(query)),
  });

  const requests: SimRequest[] = [];
  /** Sessions opened per content id since the start or the last reset (the `refuse_after` fault). */
  const opened = new Map<string, number>();

  const getstream = (res: ServerResponse, query: URLSearchParams) => {
    const id = (query.get('id') ?? query.get('infohash') ?? query.get('content_id') ?? '').toLowerCase();
    const request: SimRequest = { id, at: Date.now(), answer: 'error', bytes: 0 };
    requests.push(request);
    if (requests.length > MAX_REQUESTS) requests.shift();
    const refuse = (message: string) => {
      request.bytes = Buffer.byteLength(JSON.stringify({ response: null, error: message }));
      engineError(res, message);
    };
    if (!id) return refuse('missing content id');
    let fault: Faults;
    try {
      fault = faultsFor(id, query);
    } catch (err) {
      return refuse((err as Error).message);
    }
    if (fault.error) return refuse(fault.error);
    if (fault.refuse_after !== undefined && (opened.get(id) ?? 0) >= fault.refuse_after) {
      return refuse(`the engine refuses content ${id} (refuse_after=${fault.refuse_after})`);
    }
    request.answer = 'session';
    opened.set(id, (opened.get(id) ?? 0) + 1);
    const session = sessions.open(id, query.get('pid') ?? randomUUID(), fault);
    const path = `${id}/${session.playbackSessionId}`;
    const playbackUrl = `${base}/ace/r/${path}`;
    if (query.get('format') !== 'json') {
      res.writeHead(302, { location: playbackUrl });
      return res.end();
    }
    const body = {
      response: {
        playback_url: playbackUrl,
        stat_url: `${base}/ace/stat/${path}`,
        command_url: `${base}/ace/cmd/${path}`,
        infohash: id,
        playback_session_id: session.playbackSessionId,
        is_live: 1,
        is_encrypted: 0,
        client_session_id: session.number,
      },
      error: null,
    };
    const answer = (): Promise<void> | void => {
      if (fault.answer_bytes !== undefined) return paddedAnswer(res, body, fault.answer_bytes, request);
      request.bytes = Buffer.byteLength(JSON.stringify(body));
      json(res, 200, body);
    };
    if (fault.answer_ms === undefined) return answer();
    return new Promise((resolve) => setTimeout(resolve, fault.answer_ms).unref()).then(answer);
  };

  const playback = (res: ServerResponse, sessionId: string) => {
    const session = sessions.find(sessionId);
    if (!session) return json(res, 404, { response: null, error: 'unknown playback session' });
    res.writeHead(200, { 'content-type': 'video/mp2t', 'cache-control': 'no-store' });
    res.flushHeaders();
    sessions.addReader(session, res);
    const p = new Playback({
      res,
      session,
      frozen: () => hung,
      source: makeSource(),
      onEof: () => sessions.stop(session, 'eof'),
    });
    playbacks.add(p);
    res.once('close', () => playbacks.delete(p));
    p.start();
  };

  const stat = (res: ServerResponse, sessionId: string) => {
    const session = sessions.find(sessionId);
    if (!session) return engineError(res, 'unknown playback session');
    const kbps = Math.round(bitrate / 8 / 1024);
    json(res, 200, {
      response: {
        status: 'dl',
        peers: 12,
        speed_down: kbps,
        speed_up: Math.round(kbps / 4),
        downloaded: session.bytesSent,
        uploaded: 0,
        total_progress: 0,
      },
      error: null,
    });
  };

  const command = (res: ServerResponse, sessionId: string, query: URLSearchParams) => {
    const session = sessions.find(sessionId);
    if (!session) return engineError(res, 'unknown playback session');
    if (query.get('method') !== 'stop') return engineError(res, `unknown method ${query.get('method') ?? ''}`);
    sessions.stop(session, 'command');
    json(res, 200, { response: 'ok', error: null });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const parts = url.pathname.split('/').filter(Boolean);
    const route = `${req.method} /${parts.slice(0, 2).join('/')}`;
    if (hung && parts[0] !== 'sim') {
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
      return;
    }
    switch (route) {
      case 'GET /ace/getstream':
        return getstream(res, url.searchParams);
      case 'GET /ace/r':
        return playback(res, parts[3] ?? '');
      case 'GET /ace/stat':
        return stat(res, parts[3] ?? '');
      case 'GET /ace/cmd':
        return command(res, parts[3] ?? '', url.searchParams);
      case 'GET /webui/api':
        return json(res, 200, {
          result: { code: 3010500, platform: 'linux', version: '3.1.5' },
          error: null,
        });
      case 'GET /sim/sessions':
        return json(res, 200, sessions.stats());
      case 'GET /sim/requests':
        return json(res, 200, requests);
      case 'PUT /sim/faults':
        try {
          faults.set((parts[2] ?? '').toLowerCase(), parseFaults(await readBody(req)));
          return json(res, 200, { ok: true });
        } catch (err) {
          return json(res, 400, { error: (err as Error).message });
        }
      case 'DELETE /sim/faults':
        faults.clear();
        return json(res, 200, { ok: true });
      case 'PUT /sim/hang':
        setHang(true);
        return json(res, 200, { ok: true });
      case 'DELETE /sim/hang':
        setHang(false);
        return json(res, 200, { ok: true });
      case 'POST /sim/reset':
        setHang(false);
        sessions.reset();
        faults.clear();
        opened.clear();
        requests.length = 0;
        return json(res, 200, { ok: true });
      default:
        return json(res, 404, { response: null, error: `no route ${req.method} ${url.pathname}` });
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => json(res, 500, { response: null, error: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6878, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: base,
    port,
    host,
    stats: () => sessions.stats(),
    setFault: (id, fault) => faults.set(id.toLowerCase(), fault),
    clearFaults: () => faults.clear(),
    setHang,
    async close() {
      for (const p of playbacks) p.stop();
      sessions.stopAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
