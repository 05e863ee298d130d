// Every Redis key and channel name, built in one place (DESIGN §4).

import type { StreamId } from './stream-id.js';

export interface KeysOptions {
  /**
   * Redis Cluster mode: every per-stream key and channel carries the stream id as a hash tag
   * (`<prefix>:stream:{<id>}:...`), so one script or pipeline touches one slot; keys shared by
   * all streams (engines, worker heartbeats) share one tag per kind, so a pipeline over them
   * stays in one slot too. Off, the names are the seed's, which operators' checks rely on.
   */
  hashTags?: boolean;
}

/**
 * Key names for one prefix. Keys of one stream all start with `<prefix>:stream:<id>:` (the id
 * in braces in cluster mode); new per-stream keys should be built on `stream(id)`.
 */
export class Keys {
  /** The stream id as it appears in names: `{<id>}` in cluster mode. */
  private readonly tag: (name: string) => string;

  constructor(
    readonly prefix = 'ace_proxy',
    readonly options: KeysOptions = {},
  ) {
    this.tag = options.hashTags ? (name) => `{${name}}` : (name) => name;
  }

  stream(id: StreamId): string {
    return `${this.prefix}:stream:${this.tag(id)}`;
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
    return `${this.prefix}:${this.tag('engine')}:${engineId}:streams`;
  }
  /**
   * Sorted set of the streams being started on an engine (stream id -> expiry, ms): slots
   * reserved but not yet taken, counted against ENGINE_MAX_STREAMS with the members.
   */
  enginePending(engineId: string): string {
    return `${this.prefix}:${this.tag('engine')}:${engineId}:pending`;
  }
  /** Set while a worker finds the engine unreachable, so no worker of the cluster waits on it. */
  engineDown(engineId: string): string {
    return `${this.prefix}:${this.tag('engine')}:${engineId}:down`;
  }
  workerHeartbeat(workerId: string): string {
    return `${this.prefix}:${this.tag('worker')}:${workerId}:heartbeat`;
  }
  /** One hash for the cluster: each worker's latest /metrics report, by worker id. */
  workerMetrics(): string {
    return `${this.prefix}:metrics:workers`;
  }
  /** The cluster's recent event log for the status page (a capped list, newest first). */
  eventLog(): string {
    return `${this.prefix}:log`;
  }
  /** Cluster-wide control messages (a worker's death announced by the cluster primary). */
  controlChannel(): string {
    return `${this.prefix}:control`;
  }
  /**
   * Playlist keys (issue 13) share the `{playlist}` hash tag: one refresh writes them in one
   * MULTI, which a Redis Cluster only accepts within one slot.
   */
  playlistMeta(): string {
    return `${this.prefix}:{playlist}:meta`;
  }
  /** The merged playlist every worker serves (JSON). */
  playlistMerged(): string {
    return `${this.prefix}:{playlist}:merged`;
  }
  /** Hash: each source's last good copy (JSON), by source as configured. */
  playlistSources(): string {
    return `${this.prefix}:{playlist}:sources`;
  }
  /** A short lock so one worker of the cluster refreshes the sources at a time. */
  playlistRefreshLock(): string {
    return `${this.prefix}:{playlist}:refresh_lock`;
  }
  /**
   * Guide keys (issue 22) share the `{epg}` hash tag: a refresh switches meta and copies in one
   * MULTI, which a Redis Cluster only accepts within one slot. Durable (DESIGN §19): no expiry,
   * but for parts and schedules no switch has named yet (a refresh under way, or one that died).
   * What every worker reads first: refresh time, sources' status, the parts of the guide in use (JSON).
   */
  epgMeta(): string {
    return `${this.prefix}:{epg}:meta`;
  }
  /** Hash: each source's filtered copy in use (its parts and channel ids, JSON), by source as configured. */
  epgCopies(): string {
    return `${this.prefix}:{epg}:copies`;
  }
  /** List: one stored part of the guide, gzip bytes in chunks of at most 1 MB, under an id never reused. */
  epgPart(partId: string): string {
    return `${this.prefix}:{epg}:part:${partId}`;
  }
  /** Hash: a programmes part's next day, channel id → [[start ms, stop ms, title]…] (JSON): the status page's "now on". */
  epgSchedule(partId: string): string {
    return `${this.prefix}:{epg}:schedule:${partId}`;
  }
  /** A lock, renewed while held, so one worker of the cluster refreshes the guide at a time. */
  epgRefreshLock(): string {
    return `${this.prefix}:{epg}:refresh_lock`;
  }
  /**
   * Per client address limits (issue 20) share the `{limits}` hash tag: a worker refreshes the
   * entries of all the addresses it serves in one pipeline, which a Redis Cluster only accepts
   * within one slot. `address` is a validated IP address (never raw header text).
   */
  addressConnections(address: string): string {
    return `${this.prefix}:${this.tag('limits')}:${address}:connections`;
  }
  /** Sorted set of the new engine sessions an address started in the last minute. */
  addressStarts(address: string): string {
    return `${this.prefix}:${this.tag('limits')}:${address}:starts`;
  }
  /** Durable (DESIGN §19, the `{state}` tag below): the HLS signing key generated when PROXY_SECRET is unset. */
  hlsSecret(): string {
    return `${this.prefix}:{state}:hls_secret`;
  }
  /** Wrong API keys from one client address, counted for a while (the gateway's auth/failures.ts). */
  authFailures(address: string): string {
    return `${this.prefix}:auth_failures:${address}`;
  }
  /**
   * An operator's status page session (AUTH=token): the role its key login gave, expiring.
   * Ephemeral (a Redis restarted empty logs operators out). `idHash` is the SHA-256 (hex) of the
   * cookie's id, so the ids themselves are never stored.
   */
  operatorSession(idHash: string): string {
    return `${this.prefix}:operator_session:${idHash}`;
  }
  /**
   * Durable state (DESIGN §19) shares the `{state}` hash tag: it must survive any restart, and
   * its scripts touch several of these keys in one slot. Hash: channel (stream id) → GuideNumber.
   */
  guideNumbers(): string {
    return `${this.prefix}:{state}:guide_numbers`;
  }
  /** Sorted set: GuideNumbers of channels that left, scored by when, kept out of reuse for a week. */
  guideNumbersRetired(): string {
    return `${this.prefix}:{state}:guide_numbers:retired`;
  }
  /** The emulated HDHomeRun tuner's DeviceID, chosen once per installation. */
  tunerDeviceId(): string {
    return `${this.prefix}:{state}:tuner:device_id`;
  }
  /**
   * Users (issue 21) are durable state under the `{state}` tag: the record, the token index and
   * the change counter are written together by one script, which a Redis Cluster only accepts in
   * one slot. Hash: user name → the user's record (JSON, with the token's SHA-256).
   */
  users(): string {
    return `${this.prefix}:{state}:users`;
  }
  /** Hash: token SHA-256 (hex) → user name, so a token is looked up in O(1) without a scan. */
  userTokens(): string {
    return `${this.prefix}:{state}:users:tokens`;
  }
  /** Counter raised by every change to a user: workers poll it to cut revoked players within seconds. */
  usersVersion(): string {
    return `${this.prefix}:{state}:users:version`;
  }
  /** Written once per installation: its absence, once seen, means the durable state was lost. */
  stateSentinel(): string {
    return `${this.prefix}:{state}:sentinel`;
  }
  /**
   * Ephemeral (DESIGN §19): a user's live connections, sorted by when each lapses, and what each
   * watches. Tagged per user (`{user:<name>}` in cluster mode) so the admit script touches one
   * slot and users spread over the cluster. `name` is a validated user name.
   */
  userConnections(name: string): string {
    return `${this.prefix}:${this.tag(`user:${name}`)}:connections`;
  }
  /** Hash: connection id → `<admitted at ms>:<stream id>` of the user's live connections. */
  userConnectionStreams(name: string): string {
    return `${this.prefix}:${this.tag(`user:${name}`)}:connection_streams`;
  }
  /**
   * Sorted set: connection id → until when (ms) of the user's players that were ended (evicted by
   * the `oldest` policy, cut): refreshes report them, so no worker takes one back.
   */
  userEnded(name: string): string {
    return `${this.prefix}:${this.tag(`user:${name}`)}:ended`;
  }
  chunksChannel(id: StreamId): string {
    return `${this.stream(id)}:chunks`;
  }
  eventsChannel(id: StreamId): string {
    return `${this.prefix}:events:${this.tag(id)}`;
  }
  /** BullMQ's key prefix: in cluster mode one hash tag, as BullMQ needs all of a queue's keys in one slot. */
  queuePrefix(): string {
    return this.tag(this.prefix);
  }
  /** Recovers the stream id from a key or channel built above (for pattern subscriptions). */
  streamIdOf(name: string): string | null {
    const head = `${this.prefix}:stream:${this.options.hashTags ? '{' : ''}`;
    if (!name.startsWith(head)) return null;
    return name.slice(head.length, head.length + 40);
  }
}
