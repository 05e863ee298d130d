// One fixture starts what an end-to-end test needs (Redis, engine-sims, gateways) and stops it all.

import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { getJson } from './capture.js';
import { type StartedProcess, startNodeProcess } from './process.js';
import { TEST_REDIS_URL, type TestRedis, testRedis } from './redis.js';
import { startRedisCluster, type TestCluster } from './redis-cluster.js';
import { type PrivateRedis, startPrivateRedis } from './redis-server.js';

export const ENGINE_SIM = 'apps/engine-sim/dist/main.js';
export const GATEWAY = 'apps/gateway/dist/main.js';
export const ORCHESTRATOR_SIM = 'apps/engine-sim/dist/orchestrator-main.js';

export type Env = Record<string, string>;

/**
 * - `shared`: the machine's Redis (127.0.0.1:6379) under a key prefix of the test's own,
 *   deleted afterwards;
 * - `private`: a redis-server of the test's own on a free port (for outages, commandstats);
 * - `cluster`: a Redis Cluster of the test's own (3 masters + 3 replicas), REDIS_CLUSTER_NODES;
 * - `none`: embedded mode, no Redis.
 */
export type RedisKind = 'shared' | 'private' | 'cluster' | 'none';

export interface StackOptions {
  /** Names the key prefix in `shared` mode, so leftovers say which test left them. */
  label?: string;
  redis?: RedisKind;
  /** Engine-sims to start (ENGINES lists them all unless `env.ENGINES` says otherwise). */
  sims?: number;
  /** Env of every sim, or one env per sim. */
  simEnv?: Env | Env[];
  /** Gateways (each a primary with its workers, standing for a host). */
  gateways?: number;
  /** WORKERS of each gateway. */
  workers?: number;
  /** Gateway env on top of the fixture's test defaults. */
  env?: Env;
  /**
   * A simulated orchestrator listing the sims (those whose index is in `forwarded` as forwarded
   * engines); the gateways get its ORCHESTRATOR_URL.
   */
  orchestrator?: { forwarded?: number[]; env?: Env };
  /** Runs the apps of this copy of the repository (e.g. a production install) instead of this one. */
  root?: string;
  /** False: gateways run with the gateway's own defaults, not the quick ones of tests (the bench measures those). */
  testDefaults?: boolean;
  /** Node options of each gateway (e.g. `--cpu-prof`); its workers inherit them. */
  execArgv?: string[];
}

export interface GatewayOptions {
  root?: string;
  testDefaults?: boolean;
  execArgv?: string[];
}

export interface Stack {
  /** REDIS_URL the gateways use (null in embedded mode). */
  redisUrl: string | null;
  /** REDIS_KEY_PREFIX the gateways use. */
  prefix: string;
  /** A connection for assertions (throws in embedded mode, which has no Redis). */
  readonly redis: Redis;
  /** The private server, in `private` mode (stop and restart it to make an outage). */
  privateRedis: PrivateRedis | null;
  /** The cluster, in `cluster` mode (its `redis` is a cluster-aware connection for assertions). */
  cluster: TestCluster | null;
  sims: StartedProcess[];
  /** The simulated orchestrator, when asked for. */
  orchestrator: StartedProcess | null;
  /** The first sim. */
  sim: StartedProcess;
  gateways: StartedProcess[];
  /** The first gateway. */
  gateway: StartedProcess;
  /** `<prefix>:<parts joined by ':'>`, e.g. `key('stream', id, 'clients')`. */
  key(...parts: string[]): string;
  /** Every Redis key under the prefix (none in embedded mode). */
  keys(): Promise<string[]>;
  streamUrl(id: string, gateway?: StartedProcess): string;
  /** Starts one more gateway on the same Redis and engines (a restarted or added host). */
  addGateway(env?: Env): Promise<StartedProcess>;
  stop(): Promise<void>;
}

export interface SimSessions {
  started: number;
  stopped: number;
  active: number;
  stop_reasons: Record<string, number>;
}

/**
 * Defaults that keep tests quick: short grace, a short join backlog, one worker, a crashed worker
 * restarted within tens of ms however many crashed before it (tests kill workers again and again;
 * the default waits 0.4, 0.8, 1.6 s…). The per address limits are off: tests connect all their
 * players from 127.0.0.1 and start many channels a minute; the tests about the limits
 * (client-limits.test.ts) turn them on.
 */
export const GATEWAY_TEST_ENV: Env = {
  PROXY_GRACE_PERIOD: '0.5',
  PROXY_INITIAL_BEHIND_SECONDS: '1',
  WORKERS: '1',
  WORKER_RESTART_BACKOFF_MS: '5',
  PROXY_MAX_CONNECTIONS_PER_ADDRESS: '0',
  PROXY_MAX_NEW_SESSIONS_PER_MINUTE: '0',
};

export function startSim(env: Env = {}, root?: string): Promise<StartedProcess> {
  return startNodeProcess(root ? join(root, ENGINE_SIM) : ENGINE_SIM, { env: { BITRATE: '2000000', ...env } });
}

/** A gateway reading from `sims` (none: an address nothing listens on). */
export function startGateway(
  sims: StartedProcess | StartedProcess[] | null,
  env: Env = {},
  { root, testDefaults = true, execArgv }: GatewayOptions = {},
): Promise<StartedProcess> {
  const list = sims === null ? [] : Array.isArray(sims) ? sims : [sims];
  const engines = list.length > 0 ? list.map((s) => `127.0.0.1:${s.port}`).join(',') : '127.0.0.1:1';
  const script = root ? join(root, GATEWAY) : GATEWAY;
  const defaults = testDefaults ? GATEWAY_TEST_ENV : {};
  return startNodeProcess(script, { env: { ENGINES: engines, ...defaults, ...env }, timeoutMs: 30_000, execArgv });
}

export async function simSessions(sim: StartedProcess): Promise<SimSessions> {
  return (await getJson<SimSessions>(`${sim.url}/sim/sessions`)).body;
}

/** One getstream request an engine-sim received (its `/sim/requests`). */
export interface SimRequest {
  id: string;
  /** ms since the epoch */
  at: number;
  answer: 'session' | 'error';
  /** Bytes of the answer written before it was done or the asker hung up. */
  bytes: number;
}

export async function simRequests(sim: StartedProcess): Promise<SimRequest[]> {
  return (await getJson<SimRequest[]>(`${sim.url}/sim/requests`)).body;
}

export async function setFault(sim: StartedProcess, id: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.url}/sim/faults/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`engine-sim refused the fault: ${res.status}`);
}

export async function stopAll(...procs: Array<StartedProcess | null | undefined>): Promise<void> {
  await Promise.all(procs.map((p) => p?.stop()));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { redis: kind = 'shared', sims: simCount = 1, gateways: gatewayCount = 1 } = options;
  const started: StartedProcess[] = [];
  let shared: TestRedis | null = null;
  let privateRedis: PrivateRedis | null = null;
  let cluster: TestCluster | null = null;
  const stopRedis = async () => {
    await shared?.cleanup();
    await privateRedis?.stop();
    await cluster?.stop();
  };
  try {
    if (kind === 'shared') shared = await testRedis(options.label ?? 'e2e');
    if (kind === 'private') privateRedis = await startPrivateRedis();
    if (kind === 'cluster') cluster = await startRedisCluster();
    const redisUrl = shared ? TEST_REDIS_URL : (privateRedis?.url ?? null);
    const prefix = shared?.prefix ?? 'ace_proxy';
    const sims = await Promise.all(
      Array.from({ length: simCount }, (_, i) => {
        const env = Array.isArray(options.simEnv) ? options.simEnv[i] : options.simEnv;
        return startSim(env, options.root).then((p) => {
          started.push(p);
          return p;
        });
      }),
    );
    let orchestrator: StartedProcess | null = null;
    if (options.orchestrator) {
      const forwarded = new Set(options.orchestrator.forwarded ?? []);
      const engines = sims.map((s, i) => `127.0.0.1:${s.port}${forwarded.has(i) ? ':forwarded' : ''}`).join(',');
      orchestrator = await startNodeProcess(ORCHESTRATOR_SIM, { env: { ENGINES: engines, ...options.orchestrator.env } });
      started.push(orchestrator);
    }
    const gatewayEnv: Env = {
      ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
      ...(orchestrator ? { ORCHESTRATOR_URL: orchestrator.url } : {}),
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_KEY_PREFIX: prefix } : {}),
      ...(options.workers ? { WORKERS: String(options.workers) } : {}),
      ...options.env,
    };
    const addGateway = async (env: Env = {}) => {
      const { root, testDefaults, execArgv } = options;
      const gateway = await startGateway(sims, { ...gatewayEnv, ...env }, { root, testDefaults, execArgv });
      started.push(gateway);
      gateways.push(gateway);
      return gateway;
    };
    const gateways: StartedProcess[] = [];
    await Promise.all(Array.from({ length: gatewayCount }, () => addGateway()));
    const stack: Stack = {
      redisUrl,
      prefix,
      get redis() {
        const redis = shared?.redis ?? privateRedis?.redis;
        if (!redis) throw new Error('this stack runs in embedded mode: it has no Redis');
        return redis;
      },
      privateRedis,
      cluster,
      sims,
      orchestrator,
      sim: sims[0]!,
      gateways,
      gateway: gateways[0]!,
      key: (...parts) => [prefix, ...parts].join(':'),
      async keys() {
        return redisUrl ? this.redis.keys(`${prefix}:*`) : [];
      },
      streamUrl: (id, gateway = gateways[0]!) => `${gateway.url}/ace/getstream?id=${id}`,
      addGateway,
      async stop() {
        // Gateways first, so their graceful stop can still reach engines and Redis.
        await Promise.all(gateways.map((g) => g.stop()));
        await Promise.all([...sims, orchestrator].map((p) => p?.stop()));
        await stopRedis();
      },
    };
    return stack;
  } catch (err) {
    await Promise.allSettled(started.map((p) => p.stop()));
    await stopRedis();
    throw err;
  }
}
