// What every mode's factory returns: the backends one gateway process runs on (DESIGN §12).

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { EventBus, OwnerElection, WorkerPresence } from '@acestream-proxy/coordination';
import type { EngineLoad } from '@acestream-proxy/engine';
import type { SecretStore, SegmentStore } from '@acestream-proxy/hls';
import type { Keys } from '@acestream-proxy/keys';
import type { EventQueue, OrchestratorClient, RetryOptions } from '@acestream-proxy/orchestrator';
import type { PlaylistStore } from '@acestream-proxy/playlist';
import type { MetadataStore } from '@acestream-proxy/stream';
import type { GuideNumberStore } from '@acestream-proxy/tuner';
import type { AuthFailures } from '../auth/failures.js';
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
  /** Where the merged PLAYLIST_SOURCES copy is kept (shared by every worker and host on Redis). */
  playlistStore: PlaylistStore;
  /** Per client address counters (issue 20), on the request connection in Redis modes. */
  limits: LimitStore;
  /** Where the generated HLS session key is kept (durable state). */
  secrets: SecretStore;
  /** Wrong API keys per client address: the fleet's count on Redis. */
  authFailures: AuthFailures;
  /** The tuner's GuideNumbers and DeviceID (durable state, DESIGN §19). */
  guideNumbers: GuideNumberStore;
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
}
