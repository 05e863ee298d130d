// Redis Cluster connections per role, with the settings ioredis' sharded Pub/Sub needs to survive
// failovers and slot migrations.

import { Cluster } from 'ioredis';
import { type RedisRole, roleOptions } from './connect.js';

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/**
 * How often every cluster connection re-reads the slot map: after a failover or a slot migration
 * the server drops sharded subscriptions with an unsolicited SUNSUBSCRIBE, and ioredis moves them
 * to the new owner only once it has seen the new map.
 */
export const SLOTS_REFRESH_MS = 1000;

export function connectCluster(nodes: readonly ClusterNodeAddress[], role: RedisRole, name: string): Cluster {
  const { enableOfflineQueue, ...redisOptions } = roleOptions(role, name);
  const cluster = new Cluster(
    nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions,
      enableOfflineQueue,
      // Reads and writes on masters: a replica may lag behind the append that announced a chunk.
      scaleReads: 'master',
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      // Retry at once while a replica is being promoted, rather than failing the command.
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 100,
      // Background commands (appends, renewals) ride out a failover (~3 s with a 2 s node timeout)
      // instead of failing just before the replica takes over; the request path still fails fast.
      maxRedirections: role === 'request' ? 16 : 40,
      clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
      shardedSubscribers: role === 'subscriber',
    },
  );
  if (role === 'subscriber') {
    // A SUNSUBSCRIBE the server sent by itself (slot moved, master failed over) arrives as a
    // reply no command waits for: ioredis reports it as a node error and, unless the slot map is
    // refreshed, leaves the channel unsubscribed for good.
    cluster.on('nodeError', (err: Error) => {
      if (/sunsubscribe/i.test(err.message)) cluster.refreshSlotsCache();
    });
  }
  return cluster;
}

/**
 * The masters a connection knows, as one string: it changes when a replica is promoted. A
 * sharded subscriber only hears of that at its next periodic refresh; a command connection hears
 * of it at once (MOVED), and this lets it pass the news on.
 */
export function mastersOf(cluster: Cluster): string {
  return cluster
    .nodes('master')
    .map((n) => `${n.options.host}:${n.options.port}`)
    .sort()
    .join(',');
}
