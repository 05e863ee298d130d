// HTTP client of the orchestrator: posts events (optional bearer key); a non-2xx answer is an error.

import http from 'node:http';
import fetch from 'node-fetch';
import type { OrchestratorEvent } from './events.js';

export interface OrchestratorClientOptions {
  baseUrl: string;
  apiKey?: string | null;
  timeoutMs?: number;
}

export class OrchestratorClient {
  /** Events go out one after another per queue: a couple of kept-alive connections is plenty. */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2 });

  constructor(private readonly options: OrchestratorClientOptions) {}

  close(): void {
    this.agent.destroy();
  }

  async send(event: OrchestratorEvent): Promise<void> {
    const { baseUrl, apiKey, timeoutMs = 5000 } = this.options;
    const url = `${baseUrl.replace(/\/$/, '')}/events/${event.name}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(url, {
      method: 'POST',
      agent: this.agent,
      headers,
      body: JSON.stringify(event.payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`orchestrator answered ${res.status} to ${event.name}`);
  }
}
