// A real Redis Cluster for tests: 3 masters + 3 replicas from the redis-server binary, torn down by pid.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** The hash slot of a key or channel name (its hash tag's, when it has one). */
export function keySlot(name: string): number {
  return calculateSlot(name);
}

export interface ClusterNode {
  port: number;
  proc: ChildProcess;
  /** A direct connection to this node (not cluster-aware), for CLUSTER and INFO commands. */
  redis: Redis;
}

export interface TestCluster extends ClusterAddress {
  nodes: ClusterNode[];
  /** A cluster-aware connection for assertions. */
  redis: Cluster;
  /** The node serving `slot` as master now (asks the nodes, not a cache). */
  masterOf(slot: number): Promise<ClusterNode>;
  /** The current masters. */
  masters(): Promise<ClusterNode[]>;
  /** A replica of `master` (the one promoted when it fails). */
  replicaOf(master: ClusterNode): Promise<ClusterNode>;
  /** Waits until every live node reports cluster_state:ok and agrees on `masters` masters. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Moves `slot` (and its keys) to the master `to`, the way redis-cli --cluster reshard does. */
  migrateSlot(slot: number, to: ClusterNode): Promise<void>;
  /** SIGKILLs one node; its replica takes over after cluster-node-timeout. */
  kill(node: ClusterNode): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout, ms: how long before a dead master's replica is promoted. */
  nodeTimeoutMs?: number;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair (port, port + 10000) below 65535 for a cluster node');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** cluster-node-timeout, ms, unless a test asks for another. */
const NODE_TIMEOUT_MS = 2000;

/** Redis servers in cluster mode, not joined yet, on free ports, in a temp dir of their own. */
interface Spawned {
  nodes: ClusterNode[];
  /** SIGKILLs every node still running and deletes the temp dir. */
  stop(): Promise<void>;
}

async function spawnNodes(count: number, nodeTimeoutMs: number): Promise<Spawned> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const taken = new Set<number>();
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(async (node) => {
        // A second disconnect of an ended connection leaves a 2 s timer behind.
        if (node.redis.status !== 'end') node.redis.disconnect();
        if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
        const exited = new Promise((resolve) => node.proc.once('exit', resolve));
        node.proc.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freeClusterPort(taken);
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          // Masters that still hold their slots keep serving while another shard fails over.
          '--cluster-require-full-coverage',
          'no',
          // Replicas sync at once instead of after the default 5 s batching delay.
          '--repl-diskless-sync-delay',
          '0',
        ],
        { stdio: 'ignore' },
      );
      nodes.push({ port, proc, redis: nodeConnection(port) });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, stop };
}

/** A direct connection to one node (not cluster-aware), connected on first use. */
function nodeConnection(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  redis.on('error', () => {});
  return redis;
}

/** Waits for every node to answer, joins them into a cluster (redis-cli --cluster create) and waits until it is healthy. */
async function joinNodes(connections: Redis[], ports: number[], masterCount: number, replicasPerMaster: number): Promise<void> {
  await Promise.all(connections.map((redis, i) => waitConnected(redis, ports[i]!)));
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    String(replicasPerMaster),
    '--cluster-yes',
  ]);
  await waitHealthy(connections, masterCount);
}

function waitConnected(redis: Redis, port: number): Promise<boolean> {
  return waitFor(
    async () => {
      if (redis.status !== 'ready') await redis.connect().catch(() => {});
      return redis.status === 'ready';
    },
    { what: `cluster node on port ${port}`, timeoutMs: 10_000 },
  );
}

/** Until every node of `connections` reports cluster_state:ok with linked replicas, and `masterCount` of them are masters. */
async function waitHealthy(connections: Redis[], masterCount: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const states = await Promise.all(
        connections.map(async (redis) => {
          const info = await redis.cluster('INFO').catch(() => '');
          const replication = await redis.info('replication').catch(() => '');
          const ok = infoField(String(info), 'cluster_state') === 'ok';
          const role = infoField(replication, 'role');
          const linked = role !== 'slave' || infoField(replication, 'master_link_status') === 'up';
          return { ok: ok && linked, role };
        }),
      );
      return states.every((s) => s.ok) && states.filter((s) => s.role === 'master').length === masterCount;
    },
    { what: 'every cluster node reporting cluster_state:ok with linked replicas', timeoutMs, intervalMs: 100 },
  );
}

/** Where a cluster is: REDIS_CLUSTER_NODES and the same as addresses. */
export interface ClusterAddress {
  /** `host:port,host:port,...` of every node: the value of REDIS_CLUSTER_NODES. */
  seeds: string;
  addresses: Array<{ host: string; port: number }>;
}

const SHARED_CLUSTER_ENV = 'TEST_REDIS_CLUSTER_SEEDS';
const SHARED_MASTERS = 3;

export interface SharedCluster extends ClusterAddress {
  /** Settles once the cluster is healthy (it is joined in the background). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * One cluster for a whole Jest run (jest.config.js's globalSetup), named to every test file by
 * TEST_REDIS_CLUSTER_SEEDS: the nodes are spawned at once and joined in the background, so a run
 * whose files need no cluster does not wait for it. A Redis master turns writable only ~2 s after
 * it starts, so each file starting its own cost it ~2 s. Files share it under prefixes of their
 * own; a test that kills or moves nodes starts a cluster of its own (startRedisCluster).
 */
export async function startSharedCluster(): Promise<SharedCluster> {
  const { nodes, stop } = await spawnNodes(SHARED_MASTERS * 2, NODE_TIMEOUT_MS);
  const ports = nodes.map((n) => n.port);
  const ready = joinNodes(
    nodes.map((n) => n.redis),
    ports,
    SHARED_MASTERS,
    1,
  ).finally(() => {
    for (const node of nodes) node.redis.disconnect();
  });
  // The files that need it see a failure as a timeout naming the cluster; the run says why here.
  ready.catch((err: Error) => process.stderr.write(`the shared test Redis Cluster did not form: ${err.message}\n`));
  const address = clusterAddress(ports);
  process.env[SHARED_CLUSTER_ENV] = address.seeds;
  // After the join (~2 s from the spawn, long past in a run of any length): stopped halfway, it would poll on.
  return { ...address, ready, stop: () => ready.then(stop, stop) };
}

/** The run's shared cluster once healthy, or null when the run has none (a Jest config without the globalSetup, the bench). */
export async function sharedCluster(): Promise<ClusterAddress | null> {
  const seeds = process.env[SHARED_CLUSTER_ENV];
  if (!seeds) return null;
  const ports = seeds.split(',').map((seed) => Number(seed.split(':')[1]));
  const connections = ports.map(nodeConnection);
  try {
    await Promise.all(connections.map((redis, i) => waitConnected(redis, ports[i]!)));
    await waitHealthy(connections, SHARED_MASTERS, 30_000);
  } finally {
    for (const redis of connections) redis.disconnect();
  }
  return clusterAddress(ports);
}

function clusterAddress(ports: number[]): ClusterAddress {
  return {
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(','),
    addresses: ports.map((port) => ({ host: '127.0.0.1', port })),
  };
}

export async function startRedisCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const { masters: masterCount = 3, replicasPerMaster = 1, nodeTimeoutMs = NODE_TIMEOUT_MS } = options;
  const spawned = await spawnNodes(masterCount * (1 + replicasPerMaster), nodeTimeoutMs);
  const { nodes } = spawned;
  let cluster: Cluster | null = null;
  const stop = async () => {
    cluster?.disconnect();
    await spawned.stop();
  };

  try {
    await joinNodes(
      nodes.map((n) => n.redis),
      nodes.map((n) => n.port),
      masterCount,
      replicasPerMaster,
    );

    const live = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
    const roleOf = async (node: ClusterNode) => infoField(await node.redis.info('replication'), 'role');

    cluster = new Cluster(
      nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      { slotsRefreshInterval: 1000, redisOptions: { maxRetriesPerRequest: 3 } },
    );
    cluster.on('error', () => {});

    const masterOf = async (slot: number): Promise<ClusterNode> => {
      for (const node of live()) {
        if ((await roleOf(node).catch(() => undefined)) !== 'master') continue;
        const slots = (await node.redis.cluster('SLOTS').catch(() => [])) as Array<[number, number, [string, number]]>;
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (!range) continue;
        const owner = nodes.find((n) => n.port === Number(range[2][1]));
        if (owner) return owner;
      }
      throw new Error(`no live master serves slot ${slot}`);
    };

    const masters = async (): Promise<ClusterNode[]> => {
      const roles = await Promise.all(
        live().map(async (n) => ((await roleOf(n).catch(() => undefined)) === 'master' ? n : null)),
      );
      return roles.filter((n): n is ClusterNode => n !== null);
    };

    return {
      nodes,
      ...clusterAddress(nodes.map((n) => n.port)),
      redis: cluster,
      masterOf,
      masters,
      async replicaOf(master) {
        for (const node of live()) {
          const info = await node.redis.info('replication').catch(() => '');
          if (infoField(info, 'role') === 'slave' && Number(infoField(info, 'master_port')) === master.port) return node;
        }
        throw new Error(`no replica of the master on port ${master.port}`);
      },
      waitHealthy: (timeoutMs?: number) =>
        waitHealthy(
          live().map((n) => n.redis),
          masterCount,
          timeoutMs,
        ),
      async migrateSlot(slot, to) {
        const from = await masterOf(slot);
        if (from === to) return;
        const idOf = async (node: ClusterNode) => String(await node.redis.cluster('MYID'));
        const [fromId, toId] = await Promise.all([idOf(from), idOf(to)]);
        await to.redis.cluster('SETSLOT', slot, 'IMPORTING', fromId);
        await from.redis.cluster('SETSLOT', slot, 'MIGRATING', toId);
        for (;;) {
          const keys = (await from.redis.cluster('GETKEYSINSLOT', slot, 100)) as string[];
          if (keys.length === 0) break;
          await from.redis.migrate('127.0.0.1', to.port, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
        }
        // The new owner first, then the old one, then everyone else (as redis-cli does).
        await to.redis.cluster('SETSLOT', slot, 'NODE', toId);
        await from.redis.cluster('SETSLOT', slot, 'NODE', toId);
        for (const node of await masters()) {
          if (node !== to && node !== from) await node.redis.cluster('SETSLOT', slot, 'NODE', toId).catch(() => {});
        }
      },
      async kill(node) {
        if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
        const exited = new Promise((resolve) => node.proc.once('exit', resolve));
        node.redis.disconnect();
        node.proc.kill('SIGKILL');
        await exited;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
