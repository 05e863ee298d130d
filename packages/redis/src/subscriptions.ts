// One Pub/Sub connection per process, shared by every channel listener (DESIGN §5a); classic
// Pub/Sub on one Redis server, sharded Pub/Sub (SSUBSCRIBE/SPUBLISH) on a Redis Cluster.

import type { Cluster, Redis as IORedis } from 'ioredis';
import type { Redis } from './connect.js';

export type ChannelListener = (message: Buffer) => void;

/**
 * Multiplexes channel listeners over one subscriber connection. Messages arrive as Buffers
 * (`messageBuffer`), so nothing is decoded that was not meant to be text.
 *
 * Pub/Sub is lossy whatever the client does: messages sent while a subscription is being
 * re-established are gone. `onResubscribe` tells listeners when that may have happened, so they
 * re-read what they follow (a stream's last index) and catch up.
 */
export class Subscriptions {
  /** The publishing command matching this subscriber's kind, for Lua scripts that publish. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH' = 'PUBLISH';
  protected readonly listeners = new Map<string, Set<ChannelListener>>();
  private readonly resubscribed = new Set<() => void>();

  constructor(protected readonly subscriber: Redis) {
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.deliver(channel, message));
    // ioredis re-subscribes by itself on every `ready` after the first.
    let connectedOnce = subscriber.status === 'ready';
    subscriber.on('ready', () => {
      if (connectedOnce) this.notifyResubscribed();
      connectedOnce = true;
    });
  }

  /** Subscribes; the returned function removes this listener (and the subscription when last). */
  async listen(channel: string, listener: ChannelListener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      set.add(listener);
      await this.subscribe(channel);
    } else {
      set.add(listener);
    }
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      if (this.subscriber.status === 'ready') await this.unsubscribe(channel);
    };
  }

  /** Publishes on `redis` (a command connection, not the subscriber) with the matching command. */
  async publish(redis: Redis, channel: string, message: string | Buffer): Promise<void> {
    await redis.publish(channel, message);
  }

  /** Calls `listener` after every re-subscription (reconnect, failover, slot move); returns an unregister. */
  onResubscribe(listener: () => void): () => void {
    this.resubscribed.add(listener);
    return () => this.resubscribed.delete(listener);
  }

  get channelCount(): number {
    return this.listeners.size;
  }

  protected async subscribe(channel: string): Promise<void> {
    await (this.subscriber as IORedis).subscribe(channel);
  }

  protected async unsubscribe(channel: string): Promise<void> {
    await (this.subscriber as IORedis).unsubscribe(channel);
  }

  protected deliver(channel: Buffer, message: Buffer): void {
    const set = this.listeners.get(channel.toString());
    if (!set) return;
    for (const listener of set) listener(message);
  }

  protected notifyResubscribed(): void {
    for (const listener of this.resubscribed) listener();
  }
}

/**
 * Sharded Pub/Sub over a Redis Cluster connection created with `shardedSubscribers: true`
 * (see connectCluster): each channel lives on the master of its slot, so a chunk notification
 * costs one shard, not a broadcast to every node as classic PUBLISH does in a cluster.
 */
export class ShardedSubscriptions extends Subscriptions {
  override readonly publishCommand = 'SPUBLISH' as const;

  constructor(subscriber: Cluster) {
    super(subscriber);
    subscriber.on('smessageBuffer', (channel: Buffer, message: Buffer) => this.deliver(channel, message));
    // ioredis rebuilt its per-master subscribers (failover, slot migration) and re-subscribed.
    subscriber.on('subscribersReady', () => this.notifyResubscribed());
  }

  override async publish(redis: Redis, channel: string, message: string | Buffer): Promise<void> {
    await redis.spublish(channel, message);
  }

  // One channel per call: ioredis routes an SSUBSCRIBE by its first channel's slot.
  protected override async subscribe(channel: string): Promise<void> {
    await this.subscriber.ssubscribe(channel);
  }

  // Always with the channel: a bare SUNSUBSCRIBE would drop every channel of that master.
  protected override async unsubscribe(channel: string): Promise<void> {
    await this.subscriber.sunsubscribe(channel);
  }
}
