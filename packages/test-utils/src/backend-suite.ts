// One contract suite, run on every backend: in memory, on one Redis and on a Redis Cluster, the
// Redis ones built through the production connectors under a key prefix of the suite's own.

import { randomBytes } from 'node:crypto';
import { Keys } from '@acestream-proxy/keys';
import {
  type Redis,
  type RedisConnector,
  type RedisRole,
  redisCluster,
  type Subscriptions,
  scanKeys,
  singleRedis,
  waitReady,
} from '@acestream-proxy/redis';
import type { afterAll as AfterAll, beforeAll as BeforeAll, describe as Describe } from '@jest/globals';
import { TEST_REDIS_URL } from './redis.js';
import { type ClusterAddress, sharedCluster, startRedisCluster, type TestCluster } from './redis-cluster.js';

export type BackendKind = 'memory' | 'redis' | 'cluster';

export const BACKENDS: readonly BackendKind[] = ['memory', 'redis', 'cluster'];

/**
 * What a suite builds its backend from. `kind` is known when the suite is declared; the rest once
 * the suite's first `beforeAll` runs (backendSuite's own comes first).
 */
export interface Backend {
  readonly kind: BackendKind;
  /** `<label>_<random>`: every key the suite writes is under it (hash-tagged on the cluster). */
  readonly prefix: string;
  readonly keys: Keys;
  /** The mode's production connector (throws in memory, which has none). */
  readonly connector: RedisConnector;
  /**
   * Where the test cluster is (throws unless `kind` is `cluster`): the run's shared one when
   * there is one, so a suite must not kill or move its nodes (start a cluster of its own for that).
   */
  readonly cluster: ClusterAddress;
  /** A ready connection for `role` (default `worker`) from the connector, closed after the suite. */
  connect(role?: RedisRole): Promise<Redis>;
  /** Pub/Sub on a subscriber connection of its own, closed after the suite. */
  subscriptions(): Promise<Subscriptions>;
  /** Every key under the prefix still in Redis ([] in memory): a suite that drops what it made leaves none. */
  leftovers(): Promise<string[]>;
}

export interface BackendSuiteOptions {
  /** Names the key prefix, so leftovers say which suite left them (default: `name`'s first word). */
  label?: string;
  /** The backends this suite means (default: all three). */
  only?: readonly BackendKind[];
}

/** Jest's globals, looked up when a suite is declared: importing @jest/globals outside Jest throws, and the bench imports this package. */
function jest() {
  return globalThis as unknown as { describe: typeof Describe; beforeAll: typeof BeforeAll; afterAll: typeof AfterAll };
}

/**
 * The run's shared cluster (see startSharedCluster), else one per test file (Jest gives each file
 * its own module registry): started by the first suite that needs it, stopped after the file by a
 * hook declared with the first such suite.
 */
let cluster: Promise<ClusterAddress & { stop?: TestCluster['stop'] }> | null = null;
let clusterStopDeclared = false;
function fileCluster(): Promise<ClusterAddress & { stop?: TestCluster['stop'] }> {
  cluster ??= sharedCluster().then((shared) => shared ?? startRedisCluster());
  return cluster;
}
function declareClusterStop(afterAll: typeof AfterAll): void {
  if (clusterStopDeclared) return;
  clusterStopDeclared = true;
  afterAll(async () => {
    await (await cluster?.catch(() => null))?.stop?.();
  });
}

/**
 * Declares (at the top level of a test file) `describe('<name> (<kind>)')` for each backend and calls `tests` inside it with that
 * backend. The Redis ones start empty under a fresh prefix, and their keys and connections are
 * removed after the suite's own `afterAll` hooks.
 */
export function backendSuite(name: string, tests: (backend: Backend) => void, options: BackendSuiteOptions = {}): void {
  const { describe, beforeAll, afterAll } = jest();
  const label = options.label ?? name.split(/\W/)[0]!.toLowerCase();
  // Called at the top level of a file, so the cluster's stop is the file's, not one describe's.
  if ((options.only ?? BACKENDS).includes('cluster')) declareClusterStop(afterAll);
  for (const kind of options.only ?? BACKENDS) {
    describe(`${name} (${kind})`, () => {
      const backend = new SuiteBackend(kind, `${label}_${randomBytes(4).toString('hex')}`);
      beforeAll(() => backend.start());
      tests(backend);
      afterAll(() => backend.stop());
    });
  }
}

class SuiteBackend implements Backend {
  private testCluster: ClusterAddress | null = null;
  private redisConnector: RedisConnector | null = null;
  private readonly connections: Redis[] = [];
  readonly keys: Keys;

  constructor(
    readonly kind: BackendKind,
    readonly prefix: string,
  ) {
    this.keys = new Keys(prefix, { hashTags: kind === 'cluster' });
  }

  get connector(): RedisConnector {
    if (!this.redisConnector) throw new Error(`the ${this.kind} backend has no Redis connector`);
    return this.redisConnector;
  }

  get cluster(): ClusterAddress {
    if (!this.testCluster) throw new Error(`the ${this.kind} backend has no cluster`);
    return this.testCluster;
  }

  async start(): Promise<void> {
    if (this.kind === 'redis') this.redisConnector = singleRedis(TEST_REDIS_URL);
    if (this.kind === 'cluster') {
      this.testCluster = await fileCluster();
      this.redisConnector = redisCluster(this.testCluster.addresses);
    }
  }

  async connect(role: RedisRole = 'worker'): Promise<Redis> {
    const redis = this.connector.connect(role, `test:${this.prefix}`);
    this.connections.push(redis);
    // The request role has no offline queue: it fails fast until the connection is ready.
    await waitReady(redis, 10_000);
    return redis;
  }

  async subscriptions(): Promise<Subscriptions> {
    return this.connector.subscriptions(await this.connect('subscriber'));
  }

  async leftovers(): Promise<string[]> {
    if (this.kind === 'memory') return [];
    const redis = this.connections.find((c) => c.status === 'ready') ?? (await this.connect());
    const found: string[] = [];
    for await (const batch of scanKeys(redis, `${this.prefix}:*`)) found.push(...batch);
    return [...new Set(found)];
  }

  async stop(): Promise<void> {
    if (this.kind === 'memory') return;
    const left = await this.leftovers();
    const redis = this.connections.find((c) => c.status === 'ready');
    // One UNLINK per key: on the cluster they lie in different slots.
    await Promise.all(left.map((key) => redis?.unlink(key)));
    for (const c of this.connections) c.disconnect();
  }
}
