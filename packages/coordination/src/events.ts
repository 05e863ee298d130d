// Every event workers tell each other about a stream, and the bus that carries them (DESIGN §4).

import { EventEmitter } from 'node:events';
import type { Keys, StreamId } from '@acestream-proxy/keys';
import type { Redis, Subscriptions } from '@acestream-proxy/redis';

export interface ClientConnected {
  type: 'client_connected';
  stream_id: StreamId;
  client_id: string;
  worker_id: string;
}
export interface ClientDisconnected {
  type: 'client_disconnected';
  stream_id: StreamId;
  client_id: string;
  worker_id: string;
  /** Clients the stream still has, cluster-wide, right after this one left. */
  remaining: number;
}
/** Asks the owner to stop the stream (management API, or a worker that saw it fail). */
export interface StreamStop {
  type: 'stream_stop';
  stream_id: StreamId;
  reason: string;
}
/** The owner stopped the stream: every worker ends its clients of it. */
export interface StreamStopped {
  type: 'stream_stopped';
  stream_id: StreamId;
  reason: 'normal' | 'error' | 'stopped';
  message: string;
}
export interface OwnerChanged {
  type: 'owner_changed';
  stream_id: StreamId;
  owner: string;
  epoch: number;
}
/** Asks whichever worker holds the client to disconnect it. */
export interface ClientStop {
  type: 'client_stop';
  stream_id: StreamId;
  client_id: string;
}

export type StreamEvent = ClientConnected | ClientDisconnected | StreamStop | StreamStopped | OwnerChanged | ClientStop;
export type StreamEventType = StreamEvent['type'];
export type EventListener = (event: StreamEvent) => void;

export interface EventBus {
  publish(event: StreamEvent): Promise<void>;
  /** Listens to every event of one stream; the result stops listening. */
  listen(id: StreamId, listener: EventListener): Promise<() => Promise<void>>;
}

const EVENT_TYPES = new Set<string>([
  'client_connected',
  'client_disconnected',
  'stream_stop',
  'stream_stopped',
  'owner_changed',
  'client_stop',
]);

/** Parses a bus message; anything that is not one of our events is ignored, never thrown. */
export function parseEvent(message: Buffer): StreamEvent | null {
  try {
    const value = JSON.parse(message.toString('utf8')) as { type?: string };
    return value && typeof value.type === 'string' && EVENT_TYPES.has(value.type) ? (value as StreamEvent) : null;
  } catch {
    return null;
  }
}

export class RedisEventBus implements EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly subscriptions: Subscriptions,
    private readonly keys: Keys,
  ) {}

  async publish(event: StreamEvent): Promise<void> {
    await this.subscriptions.publish(this.redis, this.keys.eventsChannel(event.stream_id), JSON.stringify(event));
  }

  listen(id: StreamId, listener: EventListener): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.eventsChannel(id), (message) => {
      const event = parseEvent(message);
      if (event) listener(event);
    });
  }
}

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: StreamEvent): Promise<void> {
    // Delivered asynchronously, as Redis would: a publisher never re-enters its own listener.
    queueMicrotask(() => this.emitter.emit(event.stream_id, event));
  }

  async listen(id: StreamId, listener: EventListener): Promise<() => Promise<void>> {
    this.emitter.on(id, listener);
    return async () => {
      this.emitter.off(id, listener);
    };
  }
}
