// The refreshed copy, in memory, in Redis and on the cluster: one refresher, last good copies kept, failures named.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';
import { type Backend, backendSuite } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import {
  DEFAULT_SOURCE_LIMITS,
  MemoryPlaylistStore,
  PlaylistService,
  type PlaylistStore,
  PlaylistUnavailableError,
  RedisPlaylistStore,
} from '../src/index.js';
import { aceId, listA, listB } from './lists.js';

/** A playlist host the test controls: what each path answers, and how often it was asked. */
interface Host {
  base: string;
  bodies: Map<string, { status: number; body: string }>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

async function startHost(): Promise<Host> {
  const bodies = new Map<string, { status: number; body: string }>();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const answer = bodies.get(path) ?? { status: 404, body: '' };
    // A little latency, so concurrent refreshes would overlap if the lock let them.
    setTimeout(() => res.writeHead(answer.status).end(answer.body), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Warning {
  message: string;
  meta?: Record<string, unknown>;
}

function recordingLogger(warnings: Warning[]) {
  return { warn: (message: string, meta?: Record<string, unknown>) => warnings.push({ message, meta }), info: () => {} };
}

type StoreFactory = () => PlaylistStore;

let host: Host;

beforeAll(async () => {
  host = await startHost();
});

afterAll(() => host.close());

/** Keys of their own for one test, under the suite's prefix (so the suite's cleanup takes them). */
const keysOf = (backend: Backend) => new Keys(`${backend.prefix}:${Math.random().toString(36).slice(2)}`, backend.keys.options);

backendSuite('playlist service', (backend) => {
  let reads: Redis;
  let writes: Redis;
  let storeFor: StoreFactory;
  let sources: string[];
  const warnings: Warning[] = [];

  beforeAll(async () => {
    if (backend.kind === 'memory') return;
    reads = await backend.connect('request');
    writes = await backend.connect('worker');
  });

  beforeEach(() => {
    if (backend.kind === 'memory') {
      const store = new MemoryPlaylistStore();
      storeFor = () => store;
    } else {
      const keys = keysOf(backend);
      storeFor = () => new RedisPlaylistStore({ reads, writes, keys });
    }
    const run = Math.random().toString(36).slice(2);
    sources = [`${host.base}/${run}/a.m3u`, `${host.base}/${run}/b.m3u?token=secret`];
    host.bodies.set(`/${run}/a.m3u`, { status: 200, body: listA().text });
    host.bodies.set(`/${run}/b.m3u?token=secret`, { status: 200, body: listB().text });
    warnings.length = 0;
  });

  const service = (list = sources) =>
    new PlaylistService({
      sources: list,
      refreshIntervalMs: 3_600_000,
      store: storeFor(),
      logger: recordingLogger(warnings),
      limits: { ...DEFAULT_SOURCE_LIMITS, timeoutMs: 5000 },
    });

  it('merges every source at start and reports each as loaded', async () => {
    const s = service();
    s.start();
    const { playlist, meta } = await s.snapshot();
    s.close();
    const a = listA();
    const b = listB();
    expect(playlist.entries).toHaveLength(a.entries + b.ids.length - b.shared.length);
    expect(meta.status.map((x) => [x.source, x.ok, x.entries])).toEqual([
      [sources[0], true, 240],
      [`${sources[1]!.split('?')[0]}?…`, true, 160],
    ]);
    expect(warnings).toEqual([]);
  });

  it('keeps the last good copy of a failing source and names it in a warning and the health report', async () => {
    const s = service();
    await s.refresh();
    const path = new URL(sources[1]!).pathname + new URL(sources[1]!).search;
    host.bodies.set(path, { status: 200, body: '<!DOCTYPE html><title>Just a moment...</title>' });
    await s.refresh();
    let { playlist } = await s.snapshot();
    expect(playlist.entries.some((e) => e.id === listB().ids[1])).toBe(true);
    host.bodies.set(path, { status: 503, body: '' });
    await s.refresh();
    ({ playlist } = await s.snapshot());
    expect(playlist.entries.some((e) => e.id === listB().ids[1])).toBe(true);

    const health = await s.health();
    expect(health?.sources[1]).toMatchObject({ ok: false, entries: 160, error: 'HTTP 503 Service Unavailable' });
    expect(health?.sources[1]?.loaded_at).not.toBeNull();
    expect(health?.sources[0]).toMatchObject({ ok: true, error: null });
    expect(warnings.map((w) => [w.message, w.meta?.error])).toEqual([
      ['playlist source failed; keeping its last good copy', 'an HTML or XML page, not an M3U playlist'],
      ['playlist source failed; keeping its last good copy', 'HTTP 503 Service Unavailable'],
    ]);
    // The token in the source's query string is never shown.
    expect(JSON.stringify({ health, warnings })).not.toContain('secret');
  });

  it('answers "unavailable", naming the sources, when none has ever loaded', async () => {
    const s = service([`${host.base}/nothing-here.m3u`]);
    await s.refresh();
    const error = await s.snapshot().catch((err: Error) => err);
    expect(error).toBeInstanceOf(PlaylistUnavailableError);
    expect((error as Error).message).toContain(`${host.base}/nothing-here.m3u (HTTP 404 Not Found)`);
  });

  it('refreshes when the configured sources change, even within the interval', async () => {
    const s = service();
    await s.refreshIfDue(false);
    const before = (await s.snapshot()).meta.refreshedAt;
    await s.refreshIfDue(false);
    expect((await s.snapshot()).meta.refreshedAt).toBe(before);
    const fewer = service(sources.slice(0, 1));
    await fewer.refreshIfDue(false);
    const { playlist, meta } = await fewer.snapshot();
    expect(meta.sources).toEqual(sources.slice(0, 1));
    expect(playlist.entries).toHaveLength(240);
  });
});

backendSuite(
  'several workers on one Redis',
  (backend) => {
    let redis: Redis;
    beforeAll(async () => {
      redis = await backend.connect();
    });

    it('one refreshes, all serve its copy', async () => {
      const keys = keysOf(backend);
      const run = Math.random().toString(36).slice(2);
      host.bodies.set(`/${run}/a.m3u`, { status: 200, body: listA().text });
      const workers = Array.from(
        { length: 4 },
        () =>
          new PlaylistService({
            sources: [`${host.base}/${run}/a.m3u`],
            refreshIntervalMs: 3_600_000,
            store: new RedisPlaylistStore({ reads: redis, writes: redis, keys }),
            logger: recordingLogger([]),
          }),
      );
      for (const w of workers) w.start();
      const snapshots = await Promise.all(workers.map((w) => w.snapshot()));
      for (const w of workers) w.close();
      expect(host.hits.get(`/${run}/a.m3u`)).toBe(1);
      expect(new Set(snapshots.map((s) => s.meta.refreshedAt)).size).toBe(1);
      expect(snapshots.map((s) => s.playlist.entries[0]?.id)).toEqual(workers.map(() => aceId(0)));
      expect(await redis.exists(keys.playlistMeta(), keys.playlistMerged(), keys.playlistSources())).toBe(3);
      expect(await redis.exists(keys.playlistRefreshLock())).toBe(0);
    });

    it('a restarted proxy serves the last good copy from Redis while its only source is down', async () => {
      const run = Math.random().toString(36).slice(2);
      const source = `${host.base}/${run}/a.m3u`;
      host.bodies.set(`/${run}/a.m3u`, { status: 200, body: listA().text });
      const keys = keysOf(backend);
      const store = () => new RedisPlaylistStore({ reads: redis, writes: redis, keys });
      const options = { sources: [source], store: store(), logger: recordingLogger([]) };
      await new PlaylistService({ ...options, refreshIntervalMs: 3_600_000 }).refresh();
      host.bodies.set(`/${run}/a.m3u`, { status: 502, body: '' });
      // A new process, with the interval already past: it refreshes at once, and the source fails.
      const restarted = new PlaylistService({ ...options, store: store(), refreshIntervalMs: 1 });
      await restarted.refreshIfDue(true);
      const { playlist, meta } = await restarted.snapshot();
      expect(host.hits.get(`/${run}/a.m3u`)).toBe(2);
      expect(meta.status[0]).toMatchObject({ ok: false, error: 'HTTP 502 Bad Gateway', entries: 240 });
      expect(playlist.entries).toHaveLength(240);
    });
  },
  { only: ['redis', 'cluster'] },
);
