// Client of one AceStream engine's HTTP API (DESIGN §7): start, stat, stop, version, playback.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import fetch, { FetchError } from 'node-fetch';
import { type EngineAddress, EngineError, toEngineError } from './errors.js';

export interface EngineSession {
  engine: EngineAddress;
  playerId: string;
  playbackUrl: string;
  statUrl: string;
  commandUrl: string;
  infohash: string;
  playbackSessionId: string;
  isLive: boolean;
}

export interface EngineStat {
  status: string;
  peers: number;
  speedDown: number;
  speedUp: number;
  downloaded: number;
}

export interface EngineClientOptions {
  /**
   * Deadline for API calls (getstream JSON, stat, stop, version), ms (PROXY_ENGINE_API_TIMEOUT).
   * Short: an engine that does not answer its API in this time is treated as unreachable.
   */
  apiTimeoutMs?: number;
  /** Deadline for the playback response's headers, ms (PROXY_INIT_TIMEOUT: engines prebuffer first). */
  playbackTimeoutMs?: number;
  /** Most API connections open to this engine at once (kept alive between calls). */
  maxSockets?: number;
}

/**
 * Largest API answer read (getstream, stat, stop, version). Real ones are under 2 KB; a broken
 * or hostile engine's 250 MB answer is cut off here instead of filling a worker's memory, on
 * every retry.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

interface EngineEnvelope<T> {
  response?: T | null;
  result?: T | null;
  error?: string | null;
}

export class EngineClient {
  private readonly apiTimeoutMs: number;
  private readonly playbackTimeoutMs: number;
  /**
   * API calls to this engine reuse a few kept-alive connections (stat polls every few seconds per
   * stream would otherwise open one each); bounded so a hung engine cannot collect sockets.
   */
  private readonly agent: http.Agent;

  constructor(
    readonly address: EngineAddress,
    options: EngineClientOptions = {},
  ) {
    this.apiTimeoutMs = options.apiTimeoutMs ?? 5000;
    this.playbackTimeoutMs = options.playbackTimeoutMs ?? 30_000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8, maxFreeSockets: 2 });
  }

  /** Closes the kept-alive API connections. */
  close(): void {
    this.agent.destroy();
  }

  get base(): string {
    return `http://${this.address.host}:${this.address.port}`;
  }

  /** Opens an engine session for content `id` with a fresh player id. */
  async startSession(id: string, signal?: AbortSignal): Promise<EngineSession> {
    const playerId = randomUUID();
    const url = `${this.base}/ace/getstream?id=${encodeURIComponent(id)}&format=json&pid=${playerId}`;
    const response = await this.call<Record<string, unknown>>(url, 'getstream', signal);
    const playbackUrl = response.playback_url;
    if (typeof playbackUrl !== 'string') {
      throw new EngineError('engine_bad_response', 'getstream answered without a playback_url', this.address);
    }
    return {
      engine: this.address,
      playerId,
      playbackUrl,
      statUrl: String(response.stat_url ?? ''),
      commandUrl: String(response.command_url ?? ''),
      infohash: String(response.infohash ?? id),
      playbackSessionId: String(response.playback_session_id ?? ''),
      isLive: Number(response.is_live ?? 1) === 1,
    };
  }

  async stat(session: EngineSession, signal?: AbortSignal): Promise<EngineStat> {
    const r = await this.call<Record<string, unknown>>(session.statUrl, 'stat', signal);
    return {
      status: String(r.status ?? ''),
      peers: Number(r.peers ?? 0),
      speedDown: Number(r.speed_down ?? 0),
      speedUp: Number(r.speed_up ?? 0),
      downloaded: Number(r.downloaded ?? 0),
    };
  }

  /** Asks the engine to end the session; bounded by the API deadline. */
  async stopSession(session: EngineSession): Promise<void> {
    if (!session.commandUrl) return;
    const separator = session.commandUrl.includes('?') ? '&' : '?';
    await this.call(`${session.commandUrl}${separator}method=stop`, 'stop');
  }

  async version(): Promise<string> {
    const r = await this.call<{ version?: string }>(`${this.base}/webui/api/service?method=get_version`, 'get_version');
    return String(r.version ?? '');
  }

  /**
   * Starts reading the playback URL; resolves once the engine sent response headers. The
   * stream itself (prebuffering included) is the caller's to time.
   */
  openPlayback(
    session: EngineSession,
    signal: AbortSignal,
    read: { highWaterMark?: number } = {},
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      // The response's high-water mark: what it buffers before the socket is paused (PROXY_CHUNK_SIZE).
      // Node takes it on requests (it sizes the socket's and the response's buffers); @types/node 20 omits it.
      const options: http.RequestOptions & { highWaterMark?: number } = {
        agent: false,
        signal,
        highWaterMark: read.highWaterMark,
      };
      const req = http.get(session.playbackUrl, options, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new EngineError('engine_bad_response', `playback answered HTTP ${res.statusCode}`, this.address));
          return;
        }
        resolve(res);
      });
      req.setTimeout(this.playbackTimeoutMs, () =>
        req.destroy(new EngineError('engine_timeout', 'playback did not answer', this.address)),
      );
      req.once('response', () => req.setTimeout(0));
      req.on('error', (err) => reject(toEngineError(err, this.address, 'playback')));
    });
  }

  private async call<T>(url: string, what: string, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.apiTimeoutMs);
    let body: EngineEnvelope<T>;
    try {
      const res = await fetch(url, {
        agent: this.agent,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        // An answer past this is not the engine's API: stop reading it rather than hold it all.
        size: MAX_ANSWER_BYTES,
      });
      const text = await res.text();
      try {
        body = JSON.parse(text) as EngineEnvelope<T>;
      } catch {
        throw new EngineError('engine_bad_response', `${what} answered HTTP ${res.status} with non-JSON`, this.address);
      }
    } catch (err) {
      // Aborted by the deadline (not by the caller): say so, whatever the library named it.
      if (timeout.aborted && !signal?.aborted) {
        throw new EngineError('engine_timeout', `${what} did not answer within ${this.apiTimeoutMs} ms`, this.address);
      }
      if (err instanceof FetchError && err.type === 'max-size') {
        throw new EngineError('engine_bad_response', `${what} answered more than ${MAX_ANSWER_BYTES} bytes`, this.address);
      }
      throw toEngineError(err, this.address, what);
    }
    if (body.error) throw new EngineError('engine_refused', String(body.error), this.address);
    const value = body.response ?? body.result;
    if (value === undefined || value === null) {
      throw new EngineError('engine_bad_response', `${what} answered without a response`, this.address);
    }
    return value;
  }
}
