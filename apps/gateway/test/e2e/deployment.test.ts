// What can be checked of the deployment files without a Docker engine: a production install from a
// clean copy (the Dockerfile's build stage) starts and serves with production dependencies only
// and stops inside Docker's 10 s; the compose file, HAProxy config, Dockerfile and pm2 file hold up.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { capture, getJson, REPO_ROOT, type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { waitFor } from './helpers.js';
import { scrape, total } from './prometheus.js';

const ID = 'd'.repeat(40);
const docker = (file: string) => readFileSync(join(REPO_ROOT, 'docker', file), 'utf8');

/** The files a fresh clone would have (tracked, plus new ones not ignored), copied to `dir`. */
function cleanCopy(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT })
    .toString('utf8')
    .split('\0')
    .filter((f) => f && existsSync(join(REPO_ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
}

describe('a production install from a clean copy', () => {
  let copy: string;
  let stack: Stack;

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'acestream-proxy-prod-'));
    cleanCopy(copy);
    // The Dockerfile's build stage, offline: every package is in this machine's pnpm store, and
    // turbo replays this checkout's build from its cache (same sources, same hashes; a file
    // missing from the copy would change a hash and make it build, and fail, for real).
    const run = spawnSync('sh', ['docker/prod-install.sh', '--offline'], {
      cwd: copy,
      env: {
        ...process.env,
        COREPACK_INTEGRITY_KEYS: '0',
        COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
        TURBO_TELEMETRY_DISABLED: '1',
        TURBO_CACHE_DIR: join(REPO_ROOT, '.turbo/cache'),
      },
      encoding: 'utf8',
      timeout: 150_000,
    });
    if (run.status !== 0) throw new Error(`prod-install.sh failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    stack = await startStack({ label: 'prod-install', root: copy, workers: 2 });
  }, 200_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(copy, { recursive: true, force: true });
  });

  it('holds production dependencies only', () => {
    const installed = readdirSync(join(copy, 'node_modules/.pnpm'));
    // (yaml is no longer among them: packages/accounts reads USERS_FILE with it.)
    for (const dev of ['typescript@', 'jest@', '@biomejs+biome@', 'playwright-core@', 'turbo@', 'fast-check@']) {
      expect(installed.filter((name) => name.startsWith(dev))).toEqual([]);
    }
    for (const prod of ['express@', 'prom-client@', 'ioredis@', 'uplot@']) {
      expect(installed.some((name) => name.startsWith(prod))).toBe(true);
    }
  });

  it('serves players, /health, /metrics and the status page', async () => {
    expect((await getJson<{ status: string }>(`${stack.gateway.url}/health`)).body.status).toBe('ok');
    const page = await fetch(`${stack.gateway.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/status.js">');
    expect((await fetch(`${stack.gateway.url}/vendor/uplot/uPlot.esm.js`)).status).toBe(200);
    const player = await capture(stack.streamUrl(ID));
    await player.waitForBytes(100_000);
    expect(player.headers['content-type']).toBe('video/mp2t');
    // The other worker's figures arrive with its next report (every 2 s).
    await waitFor(
      async () => {
        const samples = await scrape(stack.gateway);
        return samples.get('acestream_proxy_workers') === 2 && total(samples, 'acestream_proxy_clients') === 1;
      },
      { what: "both workers' figures, with the player", timeoutMs: 10_000 },
    );
    player.close();
  });

  it('exports every metric the Grafana dashboard uses', async () => {
    const dashboard = JSON.parse(docker('grafana-dashboard.json')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const used = new Set(
      dashboard.panels
        .flatMap((p) => p.targets ?? [])
        .flatMap((t) => t.expr.match(/\b(?:acestream_proxy|process|nodejs)_[a-z0-9_]+/g) ?? [])
        .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });

  it('stops on SIGTERM within Docker’s 10 s even when the engine no longer answers', async () => {
    const player = await capture(stack.streamUrl(ID));
    await player.waitForBytes(50_000);
    // A frozen engine accepts connections but never answers its stop call.
    stack.sim.proc.kill('SIGSTOP');
    try {
      const started = Date.now();
      const code = await stack.gateway.stop('SIGTERM');
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      await player.waitForEnd(1000);
    } finally {
      stack.sim.proc.kill('SIGCONT');
    }
  }, 30_000);
});

describe('the deployment files', () => {
  it('Dockerfile: two stages, a non-root user, a health check on /health, SIGTERM', () => {
    const file = docker('Dockerfile');
    expect(file.match(/^FROM /gm)).toHaveLength(2);
    expect(file).toMatch(/^USER node$/m);
    expect(file).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(file).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(file).toMatch(/RUN sh docker\/prod-install\.sh/);
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });

  it('compose: health checks and restart policies, Redis (streams; state with appendonly) and engine-sim, two replicas behind HAProxy', () => {
    const compose = parse(docker('docker-compose.yml'), { merge: true }) as {
      services: Record<string, Record<string, unknown> & { environment?: Record<string, string>; profiles?: string[] }>;
    };
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual([
      'engine',
      'gateway',
      'gateway-1',
      'gateway-2',
      'haproxy',
      'redis',
      'redis-state',
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.restart]).toEqual([name, 'unless-stopped']);
      if (name !== 'haproxy') expect([name, typeof service.healthcheck]).toEqual([name, 'object']);
    }
    for (const name of ['gateway', 'gateway-1', 'gateway-2']) {
      expect(services[name]!.environment).toMatchObject({
        REDIS_URL: 'redis://redis:6379',
        REDIS_STATE_URL: 'redis://redis-state:6379',
        ENGINES: 'engine:6878',
      });
      expect(services[name]!.depends_on).toMatchObject({
        redis: { condition: 'service_healthy' },
        'redis-state': { condition: 'service_healthy' },
      });
    }
    for (const name of ['gateway-1', 'gateway-2', 'haproxy']) expect(services[name]!.profiles).toEqual(['replicas']);
    expect(services['gateway-1']!.environment!.PROXY_METRICS_HOST).toBe('gateway-1');
    expect(services.haproxy!.volumes).toEqual(['./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    // Durable state (DESIGN §19) on an append-only file in a volume; the buffers' Redis keeps none.
    const command = (name: string) => (services[name]!.command as string[]).join(' ');
    expect(command('redis-state')).toMatch(/--appendonly yes/);
    expect(services['redis-state']!.volumes).toEqual(['redis-state:/data']);
    expect(command('redis')).toMatch(/--appendonly no/);
  });

  it('HAProxy config: valid, both replicas, long timeouts for live TS', () => {
    const cfg = docker('haproxy.cfg');
    expect(cfg).toMatch(/server gateway-1 gateway-1:8000/);
    expect(cfg).toMatch(/server gateway-2 gateway-2:8000/);
    expect(cfg).toMatch(/timeout server 1h/);
    // haproxy -c parses the file as the container would (.ci/run installs haproxy).
    const check = spawnSync('haproxy', ['-c', '-f', join(REPO_ROOT, 'docker/haproxy.cfg')], { encoding: 'utf8' });
    expect([check.status, check.stdout + check.stderr]).toEqual([0, expect.any(String)]);
  });

  it('pm2 ecosystem file: loads, cluster mode, the gateway entry point, a stop timeout over ours', () => {
    const { apps } = createRequire(import.meta.url)(join(REPO_ROOT, 'docker/ecosystem.config.cjs')) as {
      apps: Array<{ script: string; cwd: string; exec_mode: string; kill_timeout: number }>;
    };
    expect(apps).toHaveLength(1);
    const [app] = apps;
    expect(app!.exec_mode).toBe('cluster');
    expect(existsSync(join(app!.cwd, app!.script.replace('dist/main.js', 'src/main.ts')))).toBe(true);
    expect(app!.kill_timeout).toBeGreaterThanOrEqual(10_000);
  });
});
