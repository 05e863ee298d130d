// The orchestrator's engine list carries the streams it counts on each engine, by key, so they count once.

import { type OrchestratorSim, startOrchestratorSim } from '@acestream-proxy/engine-sim';
import { OrchestratorClient, OrchestratorEngineSource } from '@acestream-proxy/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const started = (container: string, key: string) => ({
  name: 'stream_started' as const,
  payload: {
    container_id: container,
    engine: { host: '127.0.0.1', port: 6878 },
    stream: { key_type: 'infohash' as const, key },
    session: { playback_session_id: `p-${key}`, stat_url: 'http://x/stat', command_url: 'http://x/cmd', is_live: 1 },
    labels: { source: 'proxy' as const, worker_id: 'h:1', stream_id: `${key}-1` },
  },
});

describe('OrchestratorEngineSource', () => {
  let sim: OrchestratorSim;
  let client: OrchestratorClient;
  let source: OrchestratorEngineSource;

  beforeAll(async () => {
    sim = await startOrchestratorSim({
      engines: [
        { container_id: 'engine-1', host: '127.0.0.1', port: 6878, forwarded: false },
        { container_id: 'engine-2', host: '127.0.0.1', port: 6879, forwarded: true },
      ],
    });
    client = new OrchestratorClient({ baseUrl: sim.url });
    source = new OrchestratorEngineSource({ baseUrl: sim.url, cacheMs: 0 });
  });
  afterAll(async () => {
    client.close();
    source.close();
    await sim.close();
  });

  it("lists each engine's started streams by key (this proxy's and other proxies' alike), ended ones left out", async () => {
    const [ours, theirs, ended] = ['a', 'b', 'c'].map((x) => x.repeat(40)) as [string, string, string];
    await client.send(started('engine-1', ours));
    await client.send(started('engine-1', theirs));
    await client.send(started('engine-2', ended));
    await client.send({ name: 'stream_ended', payload: { container_id: 'engine-2', stream_id: `${ended}-1`, reason: 'normal' } });
    const engines = await source.list();
    expect(engines.map((e) => [e.containerId, e.streams, e.forwarded])).toEqual([
      ['engine-1', [ours, theirs], false],
      ['engine-2', [], true],
    ]);
  });
});
