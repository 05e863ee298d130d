// Every Redis key and channel name, built in one place (DESIGN §4).

import type { StreamId } from './stream-id.js';

/**
 * Key names for one prefix. Keys of one stream all start with `<prefix>:stream:<id>:` so a
 * Redis Cluster migration only has to wrap `<id>` in a hash tag here.
 */
export class Keys {
  constructor(readonly prefix = 'ace_proxy') {}

  stream(id: StreamId): string {
    return `${this.prefix}:stream:${id}`;
  }
  metadata(id: StreamId): string {
    return `${this.stream(id)}:metadata`;
  }
  owner(id: StreamId): string {
    return `${this.stream(id)}:owner`;
  }
  ownerEpoch(id: StreamId): string {
    return `${this.stream(id)}:owner:epoch`;
  }
  bufferIndex(id: StreamId): string {
    return `${this.stream(id)}:buffer:index`;
  }
  chunkPrefix(id: StreamId): string {
    return `${this.stream(id)}:buffer:chunk:`;
  }
  chunk(id: StreamId, index: number): string {
    return `${this.chunkPrefix(id)}${index}`;
  }
  /** List of the stream's HLS segment records, oldest first (DESIGN §13). */
  hlsSegments(id: StreamId): string {
    return `${this.stream(id)}:hls:segments`;
  }
  clients(id: StreamId): string {
    return `${this.stream(id)}:clients`;
  }
  client(id: StreamId, clientId: string): string {
    return `${this.stream(id)}:clients:${clientId}`;
  }
  /** Pattern matching every stream's metadata hash, for listing streams. */
  metadataPattern(): string {
    return `${this.prefix}:stream:*:metadata`;
  }
  /** Set of stream ids an engine serves, cluster-wide (`host:port` as the engine id). */
  engineStreams(engineId: string): string {
    return `${this.prefix}:engine:${engineId}:streams`;
  }
  /** A short claim on an engine while a worker starts a stream on it. */
  engineClaim(engineId: string): string {
    return `${this.prefix}:engine:${engineId}:claim`;
  }
  workerHeartbeat(workerId: string): string {
    return `${this.prefix}:worker:${workerId}:heartbeat`;
  }
  /** One hash for the cluster: each worker's latest /metrics report, by worker id. */
  workerMetrics(): string {
    return `${this.prefix}:metrics:workers`;
  }
  /** Cluster-wide control messages (a worker's death announced by the cluster primary). */
  controlChannel(): string {
    return `${this.prefix}:control`;
  }
  chunksChannel(id: StreamId): string {
    return `${this.stream(id)}:chunks`;
  }
  eventsChannel(id: StreamId): string {
    return `${this.prefix}:events:${id}`;
  }
  /** Recovers the stream id from a key or channel built above (for pattern subscriptions). */
  streamIdOf(name: string): string | null {
    const head = `${this.prefix}:stream:`;
    if (!name.startsWith(head)) return null;
    return name.slice(head.length, head.length + 40);
  }
}
