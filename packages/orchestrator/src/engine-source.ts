// Engines as the orchestrator lists them (GET /engines), with its load (GET /streams), cached briefly.

import http from 'node:http';
import type { EngineSource, SourcedEngine } from '@acestream-proxy/engine';
import fetch from 'node-fetch';

interface ListedEngine {
  container_id?: string;
  host: string;
  port: number;
  forwarded?: boolean;
  healthy?: boolean;
}

/** The orchestrator's stream record (its `key`), or the stream_started body it was given (`stream.key`). */
interface ListedStream {
  container_id?: string;
  key?: string;
  stream?: { key?: string };
}

export interface OrchestratorEngineSourceOptions {
  baseUrl: string;
  apiKey?: string | null;
  /** How long one answer is reused, ms: selection runs per stream start, not per request. */
  cacheMs?: number;
  timeoutMs?: number;
}

export class OrchestratorEngineSource implements EngineSource {
  private cached: { at: number; engines: SourcedEngine[] } | null = null;
  /** Two GETs per listing at most: kept alive, bounded. */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2 });

  constructor(private readonly options: OrchestratorEngineSourceOptions) {}

  async list(): Promise<SourcedEngine[]> {
    const { cacheMs = 2000 } = this.options;
    if (this.cached && Date.now() - this.cached.at < cacheMs) return this.cached.engines;
    try {
      const [engines, streams] = await Promise.all([
        this.get<ListedEngine[]>('/engines'),
        this.get<ListedStream[]>('/streams?status=started').catch(() => [] as ListedStream[]),
      ]);
      // By key, so the owner can tell this cluster's own streams from other proxies' ones.
      const load = new Map<string, string[]>();
      for (const s of streams) {
        if (!s.container_id) continue;
        const keys = load.get(s.container_id) ?? [];
        keys.push(String(s.key ?? s.stream?.key ?? '').toLowerCase());
        load.set(s.container_id, keys);
      }
      const list = engines.map((e) => {
        const containerId = e.container_id ?? `${e.host}:${e.port}`;
        return {
          address: { host: e.host, port: e.port },
          containerId,
          forwarded: e.forwarded === true,
          healthy: e.healthy !== false,
          streams: load.get(containerId) ?? [],
        };
      });
      this.cached = { at: Date.now(), engines: list };
      return list;
    } catch (err) {
      // An orchestrator blip should not stop new streams: use the last list it gave.
      if (this.cached) return this.cached.engines;
      throw err;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private async get<T>(path: string): Promise<T> {
    const { baseUrl, apiKey, timeoutMs = 3000 } = this.options;
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, {
      agent: this.agent,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`orchestrator answered ${res.status} to GET ${path}`);
    return (await res.json()) as T;
  }
}
