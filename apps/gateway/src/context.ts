// Wires one gateway process: the backends of the configured mode (backends/), the stream manager, metrics.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { ProxyConfig } from '@acestream-proxy/config';
import { StaticEngineSource } from '@acestream-proxy/engine';
import type { GuideService } from '@acestream-proxy/epg';
import {
  DEFAULT_RETRY,
  type EventQueue,
  NoopEventQueue,
  OrchestratorClient,
  OrchestratorEngineSource,
} from '@acestream-proxy/orchestrator';
import { DEFAULT_SOURCE_LIMITS, PlaylistRewriter, PlaylistService } from '@acestream-proxy/playlist';
import type { StateHealth } from '@acestream-proxy/state';
import { type Logger, type MetadataStore, StreamManager } from '@acestream-proxy/stream';
import { type Accounts, createAccounts, loadUsersFile } from './accounts/index.js';
import type { AuthFailures } from './auth/failures.js';
import type { OperatorSessions } from './auth/sessions.js';
import { type BackendMode, createBackends } from './backends/index.js';
import { startDurable } from './durable.js';
import { createGuide } from './guide.js';
import { createHlsService, type HlsService, hlsRecorders } from './hls.js';
import { type ClientAddressPolicy, clientAddressPolicy } from './http/client-address.js';
import { PLAYER_WRITE_AHEAD_BYTES } from './http/response-sink.js';
import { ClientLimits } from './limits/client-limits.js';
import type { MetricsSource } from './metrics/host-metrics.js';
import { UserLabels } from './metrics/user-labels.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import type { EventLog } from './status/event-log.js';
import { recordLifecycle } from './status/event-log.js';
import { createTuner, type Tuner } from './tuner.js';

export interface GatewayContext {
  config: ProxyConfig;
  workerId: string;
  logger: Logger;
  mode: BackendMode;
  /** Read views for the HTTP routes (the request-path connection in Redis mode). */
  store: ChunkStore;
  registry: ClientRegistry;
  metadata: MetadataStore;
  streams: StreamManager;
  /** HLS output: this worker's segment cache and player sessions. */
  hls: HlsService;
  /** prom-client figures: this worker's, and its host's for a scrape. */
  metrics: MetricsSource;
  /** PLAYLIST_SOURCES merged and kept fresh (issue 13). */
  playlist: PlaylistService;
  /** POST /playlist/rewrite's thread (issue 20). */
  rewriter: PlaylistRewriter;
  /** The emulated HDHomeRun over the playlist's channels (issue 22). */
  tuner: Tuner;
  /** The XMLTV guide merged from EPG_SOURCES and the playlists' url-tvg, filtered to their channels (issue 22). */
  guide: GuideService;
  /** The cluster's recent events for the status page. */
  eventLog: EventLog;
  /** Who a request comes from (TRUSTED_PROXIES decides when X-Forwarded-For counts). */
  clientAddress: ClientAddressPolicy;
  /** Per client address caps on players and new engine sessions, cluster-wide (issue 20). */
  limits: ClientLimits;
  /**
   * AUTH=token: users, their admission and this worker's players of them (accounts/); null with
   * AUTH=none, when nothing of it runs.
   */
  accounts: Accounts | null;
  /** Wrong API keys per client address (the management API's lockout). */
  authFailures: AuthFailures;
  /** The status page's operator logins (AUTH=token). */
  operatorSessions: OperatorSessions;
  /** Whether the durable state was found lost since start (DESIGN §19), for /health. */
  durableState(): StateHealth;
  /** Resolves true when the backend answers (always true in embedded mode). */
  backendHealthy(): Promise<boolean>;
  /**
   * False while any Redis connection is down (always true in embedded mode): requests that need
   * Redis are answered 503 at once instead of queueing behind its reconnects.
   */
  redisReady(): boolean;
  close(): Promise<void>;
}

export async function createContext(config: ProxyConfig, workerId: string, logger: Logger): Promise<GatewayContext> {
  const backends = await createBackends(config, workerId, logger);
  const { store, metadata, registry, election, bus, presence, engineLoad } = backends;

  const orchestrator = config.orchestratorUrl
    ? new OrchestratorClient({ baseUrl: config.orchestratorUrl, apiKey: config.orchestratorApiKey })
    : null;
  const events: EventQueue = orchestrator
    ? backends.eventQueue(orchestrator, { baseMs: config.orchestratorRetryMs, maxMs: DEFAULT_RETRY.maxMs })
    : new NoopEventQueue();

  const eventLog: EventLog = backends.eventLog;
  const flush = config.flushIntervalMs;
  const behindChunks = Math.max(1, Math.ceil((config.initialBehindSeconds * 1000) / flush));
  const streams = new StreamManager({
    workerId,
    store,
    metadata,
    registry,
    election,
    bus,
    presence,
    // With an orchestrator, its engine list replaces ENGINES.
    engines: config.orchestratorUrl
      ? new OrchestratorEngineSource({ baseUrl: config.orchestratorUrl, apiKey: config.orchestratorApiKey })
      : new StaticEngineSource(config.engines),
    engineApiTimeoutMs: config.engineApiTimeout * 1000,
    engineCheckMs: config.engineCheckIntervalMs,
    engineLoad,
    engineMaxStreams: config.engineMaxStreams,
    events,
    stream: {
      bufferChunkSize: config.bufferChunkSize,
      flushIntervalMs: flush,
      initTimeoutMs: config.initTimeout * 1000,
      noDataTimeoutMs: config.noDataTimeout * 1000,
      readChunkSize: config.chunkSize,
      maxRetries: config.maxRetries,
      reconnectBackoffMs: config.reconnectBackoffMs,
      statIntervalMs: config.statIntervalMs,
      bufferTtlMs: config.bufferTtl * 1000,
    },
    fanout: {
      behindChunks,
      // Beyond the join window, how far a slow client may fall before it jumps to the live edge.
      cacheChunks: behindChunks + Math.ceil((config.clientBufferSeconds * 1000) / flush),
      keepaliveIntervalMs: config.keepaliveIntervalMs,
      // By then the owner has reconnected or failed the stream (which ends the players).
      keepaliveCapMs: config.initTimeout * 1000,
      maxSkips: 5,
      stallTimeoutMs: config.clientStallTimeout * 1000,
      maxFetch: 256,
      // Two seconds covers the keyframe interval of nearly every live channel.
      entryWaitChunks: Math.ceil(2000 / flush),
      joinBacklogBudget: config.joinBacklogBudgetMb * 2 ** 20,
      // A player catching up gets its backlog in writes of up to 1 MB (views of shared chunks).
      catchUpWriteBytes: PLAYER_WRITE_AHEAD_BYTES,
    },
    chunkObservers: hlsRecorders(config, backends.segments, logger),
    gracePeriodSeconds: config.gracePeriod,
    heartbeatIntervalMs: config.heartbeatInterval * 1000,
    link: backends.link,
    outageHoldMs: config.redisOutageHold * 1000,
    logger,
  });
  // Its lifecycle events (stream started, engine switched, player dropped...) feed the status page's event log.
  recordLifecycle(streams.lifecycle, eventLog);

  // Histograms are fed from the stream package's measurements (first picture, engine start...).
  const userLabels = config.auth === 'token' ? new UserLabels(backends.users, config.metricsUserLabels) : null;
  const local = new WorkerMetrics({ workerId, streams, registry, metadata: backends.reads.metadata, userLabels });
  streams.stats.timings = local.timings;
  await streams.start();
  const limits = new ClientLimits({
    store: backends.limits,
    maxConnections: config.maxConnectionsPerAddress,
    maxNewSessionsPerMinute: config.maxNewSessionsPerMinute,
    slotTtlMs: config.ghostTimeoutMs,
    refreshMs: config.heartbeatInterval * 1000,
    logger,
  });
  // Read once here for the start's seeding (createAccounts) and the re-seeding after a loss (startDurable).
  const fileUsers = config.auth === 'token' && config.usersFile !== null ? loadUsersFile(config.usersFile) : null;
  const durable = await startDurable(config, backends, fileUsers, logger);
  const { secret } = durable;
  const hls = createHlsService(
    config,
    { segments: backends.reads.segments, chunks: backends.reads.store },
    { streams, registry, limits, secret: secret.current },
    workerId,
    logger,
  );
  const metrics = backends.metrics(local, config.metricsHost);

  const playlist = new PlaylistService({
    sources: config.playlistSources ?? [],
    refreshIntervalMs: config.playlistRefreshMinutes * 60_000,
    store: backends.playlistStore,
    logger,
    limits: { ...DEFAULT_SOURCE_LIMITS, maxBytes: config.playlistMaxBytes },
  });
  playlist.start();
  // Four lists of the largest size waiting is plenty for a one-off tool; more answer 503.
  const rewriter = new PlaylistRewriter({ maxQueued: 4 });
  const tuner = createTuner(config, backends.mode, backends.guideNumbers, logger);
  const guide = createGuide(config, backends.guideStore, playlist, tuner.service, logger);
  const hlsSessionMs = 4 * config.hlsTargetDuration * 1000;
  const accounts = await createAccounts(config, {
    users: backends.users,
    fileUsers,
    admission: backends.admission,
    dropClient: (id, clientId) => streams.dropClient(id, clientId),
    // TS players live as long as their client records; HLS sessions as long as theirs (hls.ts).
    ttlMs: { ts: config.ghostTimeoutMs, hls: hlsSessionMs },
    refreshMs: Math.min(config.heartbeatInterval * 1000, hlsSessionMs / 2),
    logger,
  });

  return {
    config,
    workerId,
    logger,
    mode: backends.mode,
    store: backends.reads.store,
    registry,
    metadata: backends.reads.metadata,
    streams,
    hls,
    metrics,
    playlist,
    rewriter,
    tuner,
    guide,
    eventLog,
    clientAddress: clientAddressPolicy(config.trustedProxies),
    limits,
    accounts,
    authFailures: backends.authFailures,
    operatorSessions: backends.operatorSessions,
    durableState: () => durable.state.health(),
    redisReady: () => backends.ready(),
    backendHealthy: () => backends.healthy(),
    async close() {
      await metrics.close();
      accounts?.close();
      playlist.close();
      await rewriter.close();
      await tuner.close();
      await guide.close();
      hls.close();
      limits.close();
      durable.state.stop();
      await streams.close();
      await events.close();
      await backends.close();
    },
  };
}
