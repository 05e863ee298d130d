// labStack(): the e2e fixture on network namespaces: Redis, engine-sims, gateway hosts behind HAProxy, and a player host.

import type { Haproxy } from '../haproxy.js';
import { startHaproxy } from '../haproxy.js';
import type { Portal, StartedProcess } from '../process.js';
import { type PrivateRedis, startPrivateRedis } from '../redis-server.js';
import { ENGINE_SIM, type Env, GATEWAY, GATEWAY_TEST_ENV } from '../stack.js';
import { type LabCluster, startLabCluster } from './cluster.js';
import type { DelaySpec } from './delay-line.js';
import type { LabHost } from './host.js';
import { type NetLab, netLab } from './lab.js';
import type { Relay } from './relay.js';

export interface LabStackOptions {
  /** Gateway hosts (each one gateway process, `workers` workers). */
  gateways?: number;
  workers?: number;
  /** Engine-sims, each on its own host (`sim1`, `sim2`...); sim i numbers its sessions from 1000 × i + 1. */
  sims?: number;
  simEnv?: Env;
  /** Gateway env on top of the test defaults. */
  env?: Env;
  /** A delay relay on the Redis host that the gateways dial instead of Redis itself. */
  redisDelay?: DelaySpec;
  /** A Redis Cluster (3 masters + 3 replicas, each on its own host) instead of one Redis. */
  cluster?: boolean;
  /** Its cluster-node-timeout, ms (2000): a failed master's replica is promoted a second or two after it. */
  clusterNodeTimeoutMs?: number;
}

export interface LabStack {
  lab: NetLab;
  redisHost: LabHost;
  gatewayHosts: LabHost[];
  /** The first sim's host. */
  simHost: LabHost;
  simHosts: LabHost[];
  lbHost: LabHost;
  playerHost: LabHost;
  /** The single Redis (throws with `cluster`). */
  redis: PrivateRedis;
  /** The Redis Cluster, with `cluster`. */
  cluster: LabCluster | null;
  /** The delay relay the gateways dial, when `redisDelay` was given. */
  redisRelay: Relay | null;
  sims: StartedProcess[];
  gateways: StartedProcess[];
  lb: Haproxy;
  /** HAProxy as the player host reaches it (a portal: a player on that host, as far as anyone can tell). */
  entry: Portal;
  /** The stream through HAProxy, from the player host. */
  streamUrl(id: string): string;
  /** `ace_proxy:<parts joined by ':'>`. */
  key(...parts: string[]): string;
  /** Stops redis-server (its data is gone: no persistence) and starts an empty one on the same address. */
  restartRedis(outageMs: number): Promise<void>;
  /** Tears the whole lab down (processes, namespaces); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Hosts `redis`, `gw1`..`gwN`, `sim1`..`simN`, `lb` and `player` on one bridge, each process on its own
 * host's address. Everything is torn down by `stop()`, also when the start fails half way.
 */
export async function labStack(options: LabStackOptions = {}): Promise<LabStack> {
  const { gateways: gatewayCount = 2, sims: simCount = 1 } = options;
  const lab = await netLab();
  try {
    const names = ['redis', 'lb', 'player', ...Array.from({ length: gatewayCount }, (_, i) => `gw${i + 1}`)];
    const hosts = await Promise.all(names.map((name) => lab.addHost(name)));
    const [redisHost, lbHost, playerHost, ...gatewayHosts] = hosts as [LabHost, LabHost, LabHost, ...LabHost[]];
    const simHosts = await Promise.all(Array.from({ length: simCount }, (_, i) => lab.addHost(`sim${i + 1}`)));
    const cluster = options.cluster ? await startLabCluster(lab, { nodeTimeoutMs: options.clusterNodeTimeoutMs }) : null;
    let redis = cluster ? null : await startPrivateRedis(undefined, { host: redisHost });
    const redisRelay = options.redisDelay && redis ? await lab.delay(redisHost, redis.port, options.redisDelay) : null;
    const sims = await Promise.all(
      simHosts.map((simHost, i) =>
        simHost.spawnNode(ENGINE_SIM, {
          env: { BITRATE: '2000000', SIM_FIRST_SESSION: String(1000 * i + 1), ...options.simEnv },
        }),
      ),
    );
    for (const [i, sim] of sims.entries()) simHosts[i]!.own(() => sim.stop('SIGKILL'));
    const redisUrl = redisRelay ? `redis://${redisRelay.address}:${redisRelay.port}` : redis?.url;
    const env: Env = {
      ...GATEWAY_TEST_ENV,
      // A cluster asks for an owner TTL longer than a failover.
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.seeds, PROXY_OWNER_TTL_MS: '5000' } : { REDIS_URL: redisUrl! }),
      ENGINES: sims.map((s, i) => `${simHosts[i]!.address}:${s.port}`).join(','),
      WORKERS: String(options.workers ?? 1),
      // HAProxy is the players' peer: their per address limits are off anyway in tests.
      TRUSTED_PROXIES: lbHost.address,
      ...options.env,
    };
    const gateways = await Promise.all(gatewayHosts.map((host) => host.spawnNode(GATEWAY, { env, timeoutMs: 30_000 })));
    for (const [i, host] of gatewayHosts.entries()) host.own(() => gateways[i]!.stop('SIGKILL'));
    const lb = await startHaproxy(
      gatewayHosts.map((host, i) => ({ host: host.address, port: gateways[i]!.port })),
      { host: lbHost },
    );
    const entry = await playerHost.portal(lb.port, lbHost.address);
    const stack: LabStack = {
      lab,
      redisHost,
      gatewayHosts,
      simHost: simHosts[0]!,
      simHosts,
      lbHost,
      playerHost,
      get redis() {
        if (!redis) throw new Error('this lab stack runs a Redis Cluster: use stack.cluster');
        return redis;
      },
      cluster,
      redisRelay,
      sims,
      gateways,
      lb,
      entry,
      streamUrl: (id) => `${entry.url}/ace/getstream?id=${id}`,
      key: (...parts) => ['ace_proxy', ...parts].join(':'),
      async restartRedis(outageMs) {
        if (!redis) throw new Error('restartRedis: this lab stack runs a Redis Cluster');
        const { port } = redis;
        await redis.stop();
        await new Promise((resolve) => setTimeout(resolve, outageMs));
        redis = await startPrivateRedis(port, { host: redisHost });
      },
      stop: () => lab.teardown(),
    };
    return stack;
  } catch (err) {
    await lab.teardown();
    throw err;
  }
}
