// Worker presence: each worker refreshes a short-lived heartbeat key; a missing key means a dead worker.

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';

export interface WorkerPresence {
  beat(workerId: string): Promise<void>;
  isAlive(workerId: string): Promise<boolean>;
  leave(workerId: string): Promise<void>;
  /** Called with the id of each worker the cluster primary announces dead; returns unsubscribe. */
  onDeath(listener: (workerId: string) => void): Promise<() => Promise<void>>;
  announceDeath(workerId: string): Promise<void>;
}

export interface RedisWorkerPresenceOptions {
  redis: Redis;
  keys: Keys;
  /** Heartbeat key lifetime, ms; beat at least three times within it. */
  ttlMs: number;
  /** Subscribes to the control channel (see Subscriptions.listen). */
  listen: (channel: string, listener: (message: Buffer) => void) => Promise<() => Promise<void>>;
  /** Publishes on the control channel (see Subscriptions.publish); plain PUBLISH when not given. */
  publish?: (channel: string, message: string) => Promise<void>;
}

export class RedisWorkerPresence implements WorkerPresence {
  constructor(private readonly options: RedisWorkerPresenceOptions) {}

  async beat(workerId: string): Promise<void> {
    const { redis, keys, ttlMs } = this.options;
    await redis.set(keys.workerHeartbeat(workerId), String(Date.now()), 'PX', ttlMs);
  }

  async isAlive(workerId: string): Promise<boolean> {
    return (await this.options.redis.exists(this.options.keys.workerHeartbeat(workerId))) === 1;
  }

  async leave(workerId: string): Promise<void> {
    await this.options.redis.unlink(this.options.keys.workerHeartbeat(workerId));
  }

  onDeath(listener: (workerId: string) => void): Promise<() => Promise<void>> {
    return this.options.listen(this.options.keys.controlChannel(), (message) => {
      const text = message.toString('utf8');
      if (text.startsWith('worker_dead:')) listener(text.slice('worker_dead:'.length));
    });
  }

  async announceDeath(workerId: string): Promise<void> {
    const { redis, keys } = this.options;
    await redis.unlink(keys.workerHeartbeat(workerId));
    const message = `worker_dead:${workerId}`;
    if (this.options.publish) await this.options.publish(keys.controlChannel(), message);
    else await redis.publish(keys.controlChannel(), message);
  }
}

/** Embedded mode: one process, so every worker that asks is this one and alive. */
export class MemoryWorkerPresence implements WorkerPresence {
  private readonly alive = new Set<string>();
  async beat(workerId: string): Promise<void> {
    this.alive.add(workerId);
  }
  async isAlive(workerId: string): Promise<boolean> {
    return this.alive.has(workerId);
  }
  async leave(workerId: string): Promise<void> {
    this.alive.delete(workerId);
  }
  async onDeath(): Promise<() => Promise<void>> {
    return async () => {};
  }
  async announceDeath(workerId: string): Promise<void> {
    this.alive.delete(workerId);
  }
}
