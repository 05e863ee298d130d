// Whether a connection's Redis still answers: a PING with a deadline, because a cut link (a
// blackhole, a partition) leaves the socket "ready" for minutes while nothing comes back.

import { Cluster } from 'ioredis';
import type { Redis } from './connect.js';

export interface LivenessOptions {
  /** Pause between one answered PING and the next, ms. */
  intervalMs: number;
  /** A PING unanswered this long means the link is down, ms. */
  timeoutMs: number;
  /** Told on every change: false when a PING went unanswered, true when one is answered again. */
  onChange(up: boolean): void;
}

/** Stops the probe. */
export type StopLiveness = () => void;

/**
 * Pings the connection (each master of a cluster) one PING at a time. When one is not answered
 * within `timeoutMs` its socket is destroyed, and the link counts as down (for a cluster: when
 * no master answered): ioredis then fails or
 * re-queues what was in flight and reconnects, instead of waiting on a peer that may never
 * answer (TCP's own retransmissions would take many minutes to give up).
 */
export function watchLiveness(redis: Redis, options: LivenessOptions): StopLiveness {
  let stopped = false;
  let up = true;
  let timer: NodeJS.Timeout | null = null;
  const set = (now: boolean) => {
    if (now === up || stopped) return;
    up = now;
    options.onChange(now);
  };
  const probe = async () => {
    timer = null;
    if (stopped) return;
    // A connection that is (re)connecting has no socket to probe: ioredis says so by its status,
    // and it is down until it is ready again.
    if (redis.status !== 'ready') {
      set(false);
      schedule(options.intervalMs);
      return;
    }
    const targets = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const answered = await Promise.all(targets.map((node) => pingWithin(node, options.timeoutMs)));
    if (stopped) return;
    const late = targets.filter((_, i) => !answered[i]);
    // A late PING may still be on its way: a socket that took this long is not one to wait on.
    for (const node of late) (node as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    // A cluster is unreachable when none of its masters answers (this host is cut off); one
    // failed master is the cluster's to fail over, and its streams' owners ride it out.
    set(late.length < targets.length || targets.length === 0);
    schedule(options.intervalMs);
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void probe(), ms);
    timer.unref();
  };
  schedule(options.intervalMs);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** True when the node answered a PING within `timeoutMs`. */
function pingWithin(node: Redis, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    node.ping().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/**
 * One worker's link to Redis over all its connections: up only while every one of them answers.
 * A host cut off from Redis and a Redis down for everyone look the same from here.
 */
export class RedisLink {
  private readonly down = new Set<number>();
  private readonly stops: StopLiveness[];
  private readonly listeners = new Set<(up: boolean) => void>();
  /** performance.now() when the link went down, null while it is up. */

  constructor(connections: readonly Redis[], options: Omit<LivenessOptions, 'onChange'>) {
    this.stops = connections.map((redis, i) =>
      watchLiveness(redis, {
        ...options,
        onChange: (up) => {
          const was = this.up;
          if (up) this.down.delete(i);
          else this.down.add(i);
          if (was !== this.up) this.changed();
        },
      }),
    );
  }

  get up(): boolean {
    return this.down.size === 0;
  }

  /** Calls `listener(up)` on every change; returns a function that stops it. */
  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const stop of this.stops) stop();
    this.listeners.clear();
  }

  private changed(): void {
    for (const listener of this.listeners) listener(this.up);
  }
}
