// HTTP client of the orchestrator: posts events (optional bearer key); a non-2xx answer is an error.

import type { OrchestratorEvent } from './events.js';

export interface OrchestratorClientOptions {
  baseUrl: string;
  apiKey?: string | null;
  timeoutMs?: number;
}

export class OrchestratorClient {
  constructor(private readonly options: OrchestratorClientOptions) {}

  async send(event: OrchestratorEvent): Promise<void> {
    const { baseUrl, apiKey, timeoutMs = 5000 } = this.options;
    const url = `${baseUrl.replace(/\/$/, '')}/events/${event.name}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(event.payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`orchestrator answered ${res.status} to ${event.name}`);
  }
}
