// One Redis "mode" as a value: how to connect each role, subscribe, scan and hand BullMQ a
// connection. The gateway picks a connector from its configuration; nothing else asks the mode.

import type { Cluster, RedisOptions } from 'ioredis';
import { type ClusterNodeAddress, connectCluster, mastersOf } from './cluster.js';
import { connectRedis, type Redis, type RedisRole } from './connect.js';
import { ShardedSubscriptions, Subscriptions } from './subscriptions.js';

export interface RedisConnector {
  /** Whether key names need hash tags (every script and pipeline on one slot). */
  readonly hashTags: boolean;
  connect(role: RedisRole, name: string): Redis;
  /** The Pub/Sub multiplexer for a connection made with role `subscriber`. */
  subscriptions(subscriber: Redis): Subscriptions;
  /** Publishes on a command connection with PUBLISH, or SPUBLISH on a cluster (as Subscriptions.publish). */
  publish(redis: Redis, channel: string, message: string): Promise<void>;
  /** A connection BullMQ can use: options for one server, a Cluster instance for a cluster. */
  bullmq(name: string): RedisOptions | Cluster;
  /** Human-readable target, for logs. */
  readonly describe: string;
}

export function singleRedis(url: string): RedisConnector {
  return {
    hashTags: false,
    describe: url.replace(/\/\/[^@/]*@/, '//***@'),
    connect: (role, name) => connectRedis(url, role, name),
    subscriptions: (subscriber) => new Subscriptions(subscriber),
    bullmq: () => bullmqOptions(url),
    publish: async (redis, channel, message) => {
      await redis.publish(channel, message);
    },
  };
}

export function redisCluster(nodes: readonly ClusterNodeAddress[]): RedisConnector {
  const subscribers = new Set<Cluster>();
  // When a command connection sees a new master (failover), the subscribers re-read the slot map
  // now rather than at their next periodic refresh, and move their channels to it.
  const follow = (cluster: Cluster) => {
    let known = '';
    cluster.on('refresh', () => {
      const now = mastersOf(cluster);
      if (known !== '' && now !== known) for (const s of subscribers) s.refreshSlotsCache();
      known = now;
    });
  };
  return {
    hashTags: true,
    describe: `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    connect: (role, name) => {
      const cluster = connectCluster(nodes, role, name);
      if (role === 'subscriber') {
        subscribers.add(cluster);
        cluster.once('end', () => subscribers.delete(cluster));
      } else {
        follow(cluster);
      }
      return cluster;
    },
    subscriptions: (subscriber) => new ShardedSubscriptions(subscriber as Cluster),
    bullmq: (name) => connectCluster(nodes, 'queue', name),
    publish: async (redis, channel, message) => {
      await redis.spublish(channel, message);
    },
  };
}

/** BullMQ takes connection options, not a URL, and needs maxRetriesPerRequest: null (DESIGN §5a). */
function bullmqOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
