// What every mode's factory returns: the backends one gateway process runs on (DESIGN §12).

import type { AdmissionStore, UserStore } from '@acestream-proxy/accounts';
import type { ChunkStore } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { EventBus, OwnerElection, WorkerPresence } from '@acestream-proxy/coordination';
import type { EngineLoad } from '@acestream-proxy/engine';
import type { GuideStore } from '@acestream-proxy/epg';
import type { SegmentStore } from '@acestream-proxy/hls';
import type { Keys } from '@acestream-proxy/keys';
import type { EventQueue, OrchestratorClient, RetryOptions } from '@acestream-proxy/orchestrator';
import type { PlaylistStore } from '@acestream-proxy/playlist';
import type { RedisConnector } from '@acestream-proxy/redis';
import type { SentinelStore, WriteOnce } from '@acestream-proxy/state';
import type { MetadataStore, RedisLinkState } from '@acestream-proxy/stream';
import type { GuideNumberStore } from '@acestream-proxy/tuner';
import type { AuthFailures } from '../auth/failures.js';
import type { OperatorSessions } from '../auth/sessions.js';
import type { LimitStore } from '../limits/store.js';
import type { MetricsSource } from '../metrics/host-metrics.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { EventLog } from '../status/event-log.js';

export type BackendMode = 'embedded' | 'redis' | 'cluster';

export interface Backends {
  mode: BackendMode;
  keys: Keys;
  /** The owner's and fanout's views (on the worker connection in Redis modes). */
  store: ChunkStore;
  metadata: MetadataStore;
  /** HLS segment records, written by the owner (on the worker connection in Redis modes). */
  segments: SegmentStore;
  /** What HTTP routes read: on the request connection, so a Redis outage fails fast. */
  reads: { store: ChunkStore; metadata: MetadataStore; segments: SegmentStore };
  registry: ClientRegistry;
  election: OwnerElection;
  bus: EventBus;
  presence: WorkerPresence;
  engineLoad: EngineLoad;
  /** Delivers orchestrator events: through BullMQ on Redis, retried in process when embedded. */
  /** Events to the orchestrator, sent again after `retry` while it does not take them. */
  eventQueue(client: OrchestratorClient, retry: RetryOptions): EventQueue;
  /** /metrics: this worker's figures, shared with the workers of its host (`host`) on Redis. */
  metrics(local: WorkerMetrics, host: string | null): MetricsSource;
  /** The status page's event log: the whole fleet's on Redis. */
  eventLog: EventLog;
  /** Where the merged PLAYLIST_SOURCES copy is kept (durable state: shared by every worker and host on Redis). */
  playlistStore: PlaylistStore;
  /** The merged XMLTV guide and each source's last good copy (shared by every worker and host on Redis). */
  guideStore: GuideStore;
  /** Per client address counters (issue 20), on the request connection in Redis modes. */
  limits: LimitStore;
  /** Wrong API keys per client address: the fleet's count on Redis. */
  authFailures: AuthFailures;
  /** The status page's operator logins (AUTH=token), expiring. */
  operatorSessions: OperatorSessions;
  /** The tuner's GuideNumbers and DeviceID (durable state, DESIGN §19). */
  guideNumbers: GuideNumberStore;
  /**
   * Users and their token hashes for AUTH=token (durable state, DESIGN §19): memory when embedded,
   * else the durable-state request connection (REDIS_STATE_URL's, or the streams' one).
   */
  users: UserStore;
  /** Each user's live player connections and limits (ephemeral; on the request connection in Redis modes). */
  admission: AdmissionStore;
  /**
   * The rest of the durable state (DESIGN §19): its sentinel and the generated HLS session key.
   * With the users, GuideNumbers and playlist copies, on REDIS_STATE_URL when set, else on the
   * streams' Redis (or cluster); in memory when embedded.
   */
  durable: { sentinel: SentinelStore; hlsSecret: WriteOnce; describe: string };
  /** Whether this worker reaches Redis, PINGed with a deadline (absent when embedded). */
  link?: RedisLinkState;
  /** Resolves true when the backend answers (always true when embedded). */
  healthy(): Promise<boolean>;
  /**
   * False while any Redis connection is down (always true when embedded): requests that need
   * Redis are answered 503 at once instead of queueing behind its reconnects.
   */
  ready(): boolean;
  close(): Promise<void>;
}

export interface BackendSettings {
  workerId: string;
  /** PROXY_BUFFER_TTL, seconds. */
  bufferTtl: number;
  ghostTimeoutMs: number;
  ownerTtlMs: number;
  /** How often a worker refreshes its /metrics report, ms. */
  metricsIntervalMs: number;
  /** HLS segment records kept per stream. */
  hlsKeep: number;
  /** Silence after a chunk notification that makes a subscriber re-read the index (RedisChunkStore `lateMs`), ms. */
  lateNotificationMs: number;
}

/** REDIS_STATE_URL: a Redis of its own for the durable state; null = the streams' connections. */
export type StateConnector = RedisConnector | null;
