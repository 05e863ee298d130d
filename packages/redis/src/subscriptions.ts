// One Pub/Sub connection per process, shared by every channel listener (DESIGN §5a).

import type { Redis } from 'ioredis';

export type ChannelListener = (message: Buffer) => void;

/**
 * Multiplexes channel listeners over one subscriber connection. Messages arrive as Buffers
 * (`messageBuffer`), so nothing is decoded that was not meant to be text.
 */
export class Subscriptions {
  private readonly listeners = new Map<string, Set<ChannelListener>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const set = this.listeners.get(channel.toString());
      if (!set) return;
      for (const listener of set) listener(message);
    });
  }

  /** Subscribes; the returned function removes this listener (and the subscription when last). */
  async listen(channel: string, listener: ChannelListener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      set.add(listener);
      await this.subscriber.subscribe(channel);
    } else {
      set.add(listener);
    }
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(channel);
    };
  }

  get channelCount(): number {
    return this.listeners.size;
  }
}
