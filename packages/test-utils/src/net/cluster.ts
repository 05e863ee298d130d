// A Redis Cluster whose nodes are net lab hosts of their own (`rc1`, `rc2`...), so one node's links can be cut.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { waitFor } from '../wait.js';
import { ipPath } from './commands.js';
import type { LabHost } from './host.js';
import type { NetLab } from './lab.js';

export interface LabClusterNode {
  host: LabHost;
  /** `address:6379`, as the cluster and the gateways name it. */
  address: string;
  proc: ChildProcess;
  /** A direct connection from the test (through a portal on its host): INFO, CLUSTER, GET. */
  redis: Redis;
}

export interface LabCluster {
  nodes: LabClusterNode[];
  /** REDIS_CLUSTER_NODES for the gateways. */
  seeds: string;
  /** The node serving `slot` as master now, as a live node that still sees the others says. */
  masterOf(slot: number, askFrom?: LabClusterNode): Promise<LabClusterNode>;
  /** The node's role now (`master` or `slave`). */
  role(node: LabClusterNode): Promise<string | undefined>;
}

const PORT = 6379;

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * `masters` × (1 + `replicasPerMaster`) redis-server processes, each on its own host, joined
 * with `redis-cli --cluster create` (run on the first node's host), every node `cluster_state:ok`
 * with its replicas linked. The lab's teardown stops them.
 */
export async function startLabCluster(
  lab: NetLab,
  {
    masters = 3,
    replicasPerMaster = 1,
    nodeTimeoutMs = 2000,
  }: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {},
): Promise<LabCluster> {
  const count = masters * (1 + replicasPerMaster);
  const hosts = await Promise.all(Array.from({ length: count }, (_, i) => lab.addHost(`rc${i + 1}`)));
  const nodes: LabClusterNode[] = [];
  for (const host of hosts) {
    const args = [
      ...['--port', String(PORT), '--bind', host.address, '--protected-mode', 'no'],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', `${lab.names.dir}/nodes-${host.address}.conf`],
      ...['--cluster-node-timeout', String(nodeTimeoutMs), '--dir', lab.names.dir, '--save', '', '--appendonly', 'no'],
      ...['--cluster-require-full-coverage', 'no', '--repl-diskless-sync-delay', '0'],
    ];
    const proc = spawn(ipPath(), ['netns', 'exec', host.netns, 'redis-server', ...args], { stdio: 'ignore' });
    const portal = await host.portal(PORT);
    const redis = new Redis({
      port: portal.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    redis.on('error', () => {});
    host.own(async () => {
      redis.disconnect();
      proc.kill('SIGKILL');
    });
    nodes.push({ host, address: `${host.address}:${PORT}`, proc, redis });
  }
  await Promise.all(
    nodes.map((node) =>
      waitFor(
        async () => {
          if (node.redis.status !== 'ready') await node.redis.connect().catch(() => {});
          return node.redis.status === 'ready';
        },
        { what: `cluster node ${node.address}`, timeoutMs: 10_000 },
      ),
    ),
  );
  await hosts[0]!.exec(
    [
      'redis-cli',
      '--cluster',
      'create',
      ...nodes.map((n) => n.address),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ],
    { timeoutMs: 30_000 },
  );
  const role = async (node: LabClusterNode) => infoField(await node.redis.info('replication'), 'role');
  await waitFor(
    async () => {
      const states = await Promise.all(
        nodes.map(async (node) => {
          const info = String(await node.redis.cluster('INFO').catch(() => ''));
          const replication = await node.redis.info('replication').catch(() => '');
          const linked = infoField(replication, 'role') !== 'slave' || infoField(replication, 'master_link_status') === 'up';
          return infoField(info, 'cluster_state') === 'ok' && linked;
        }),
      );
      return states.every(Boolean);
    },
    { what: 'every cluster node reporting cluster_state:ok with linked replicas', timeoutMs: 20_000, intervalMs: 100 },
  );
  return {
    nodes,
    seeds: nodes.map((n) => n.address).join(','),
    role: (node) => role(node).catch(() => undefined),
    async masterOf(slot, askFrom = nodes[0]!) {
      const slots = (await askFrom.redis.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      const owner = range && nodes.find((n) => n.address === `${range[2][0]}:${range[2][1]}`);
      if (!owner) throw new Error(`no master serves slot ${slot} in ${askFrom.address}'s view`);
      return owner;
    },
  };
}
