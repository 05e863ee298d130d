// GET /metrics: Prometheus text a scraper can read, for every worker of the host from any worker.

import {
  type Capture,
  capture,
  type StartedProcess,
  TEST_REDIS_URL,
  type TestRedis,
  testRedis,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, startSim, stopAll, waitFor } from './helpers.js';
import { scrape, total } from './prometheus.js';

const ID = '6'.repeat(40);

describe('GET /metrics on a two-worker gateway', () => {
  let t: TestRedis;
  let sim: StartedProcess;
  let gateway: StartedProcess;
  const players: Capture[] = [];

  beforeAll(async () => {
    t = await testRedis('metrics');
    sim = await startSim();
    gateway = await startGateway(sim, {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: t.prefix,
      WORKERS: '2',
      PROXY_HEARTBEAT_INTERVAL: '1',
    });
  });

  afterAll(async () => {
    for (const p of players) p.close();
    await stopAll(gateway, sim);
    await t.cleanup();
  });

  it('counts players, streams and bytes across both workers, whichever worker answers', async () => {
    for (let i = 0; i < 3; i++) players.push(await capture(`${gateway.url}/ace/getstream?id=${ID}`));
    await Promise.all(players.map((p) => p.waitForBytes(100_000)));

    // Each worker reports every heartbeat interval; wait until both reports show the players.
    let samples = new Map<string, number>();
    await waitFor(
      async () => {
        samples = await scrape(gateway);
        return (
          samples.get('acestream_proxy_workers') === 2 &&
          total(samples, 'acestream_proxy_clients') === 3 &&
          // Per-stream figures come from the owner's report too.
          samples.get(`acestream_proxy_stream_clients{stream_id="${ID}"}`) === 3
        );
      },
      { what: 'both workers to report three players', timeoutMs: 10_000 },
    );
    expect(samples.get(`acestream_proxy_stream_clients{stream_id="${ID}"}`)).toBe(3);
    expect(samples.get('acestream_proxy_streams{state="active"}')).toBe(1);
    expect(total(samples, 'acestream_proxy_streams_owned')).toBe(1);
    expect(total(samples, 'acestream_proxy_clients_joined_total')).toBe(3);
    expect(total(samples, 'acestream_proxy_chunks_appended_total')).toBeGreaterThan(0);
    // Players received at least what the engine sent since they joined; the owner read it once.
    expect(total(samples, 'acestream_proxy_client_bytes_sent_total')).toBeGreaterThan(0);
    expect(total(samples, 'acestream_proxy_engine_bytes_received_total')).toBeGreaterThan(100_000);
    for (const [series, value] of samples) {
      if (series.startsWith('acestream_proxy_worker_resident_memory_bytes')) expect(value).toBeGreaterThan(10 * 2 ** 20);
    }
    // Open file descriptors (listed off the event loop, worker-metrics.ts): each worker's, players' sockets among them.
    const fds = [...samples].filter(([series]) => series.startsWith('process_open_fds{'));
    expect(fds).toHaveLength(2);
    for (const [, value] of fds) expect(value).toBeGreaterThan(10);
    // Both workers are named, as their worker ids ({hostname}:{pid}).
    const workers = [...samples.keys()].filter((s) => s.startsWith('acestream_proxy_clients{'));
    expect(workers).toHaveLength(2);
    for (const w of workers) expect(w).toMatch(/worker=".+:\d+"/);
  });

  it('drops a stream from the figures once it has stopped', async () => {
    for (const p of players.splice(0)) p.close();
    await waitFor(
      async () => {
        const samples = await scrape(gateway);
        return (
          !samples.has(`acestream_proxy_stream_clients{stream_id="${ID}"}`) &&
          total(samples, 'acestream_proxy_streams') === 0 &&
          total(samples, 'acestream_proxy_clients') === 0
        );
      },
      { what: 'the stream and its players to leave /metrics', timeoutMs: 15_000 },
    );
  });
});

describe('GET /metrics after a worker is killed', () => {
  let t: TestRedis;
  let sim: StartedProcess;
  let gateway: StartedProcess;

  beforeAll(async () => {
    t = await testRedis('metrics-kill');
    sim = await startSim();
    gateway = await startGateway(sim, { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: t.prefix, WORKERS: '2' });
  });
  afterAll(async () => {
    await stopAll(gateway, sim);
    await t.cleanup();
  });

  it("drops the dead worker's figures once its heartbeat expires, long before its report goes stale", async () => {
    const reporting = async () =>
      [...(await scrape(gateway)).keys()]
        .filter((s) => s.startsWith('acestream_proxy_clients{'))
        .map((s) => Number(/:(\d+)"/.exec(s)![1]));
    const pids = await waitFor(
      async () => {
        const reported = await reporting();
        return reported.length === 2 ? reported : null;
      },
      { what: 'both workers to report' },
    );
    const victim = pids[0]!;
    process.kill(victim, 'SIGKILL');
    // Heartbeat keys live PROXY_OWNER_TTL_MS (3 s); reports go stale only after the ghost timeout (50 s).
    await waitFor(async () => !(await reporting()).includes(victim), {
      what: 'the killed worker to leave /metrics',
      timeoutMs: 10_000,
    });
  });
});

describe('GET /metrics in embedded mode', () => {
  let sim: StartedProcess;
  let gateway: StartedProcess;

  beforeAll(async () => {
    sim = await startSim();
    gateway = await startGateway(sim);
  });
  afterAll(async () => stopAll(gateway, sim));

  it("reports the one process's player", async () => {
    const player = await capture(`${gateway.url}/ace/getstream?id=${ID}`);
    await player.waitForBytes(50_000);
    const samples = await scrape(gateway);
    player.close();
    expect(samples.get('acestream_proxy_workers')).toBe(1);
    expect(total(samples, 'acestream_proxy_clients')).toBe(1);
    expect(samples.get(`acestream_proxy_stream_clients{stream_id="${ID}"}`)).toBe(1);
    expect(total(samples, 'acestream_proxy_client_bytes_sent_total')).toBeGreaterThanOrEqual(50_000);
  });
});
