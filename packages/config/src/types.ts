// The typed configuration every process receives once, at start (libraries never read process.env).

export interface EngineAddress {
  host: string;
  port: number;
}

/**
 * Where workers coordinate: in memory (one process), one Redis server (REDIS_URL), or a Redis
 * Cluster (REDIS_CLUSTER_NODES).
 */
export type RedisMode = 'embedded' | 'single' | 'cluster';

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
export type LogFormat = 'json' | 'pretty';

export interface ProxyConfig {
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  /** First wait before restarting a worker that keeps crashing, ms (WORKER_RESTART_BACKOFF_MS); doubles per crash in a row. */
  readonly workerRestartBackoffMs: number;
  /** How long a worker accepts from every copy of the shared socket after the last queue, ms (ACCEPT_QUIET_MS). */
  readonly acceptQuietMs: number;
  /** How long a connection waits for its starting worker before a 503, ms (NOT_READY_WAIT_MS). */
  readonly notReadyWaitMs: number;
  readonly redisUrl: string | null;
  /** Seed nodes of a Redis Cluster; null unless in cluster mode. */
  readonly redisClusterNodes: readonly EngineAddress[] | null;
  /** Derived from REDIS_URL / REDIS_CLUSTER_NODES (never both). */
  readonly redisMode: RedisMode;
  readonly keyPrefix: string;
  readonly engines: readonly EngineAddress[];
  readonly engineMaxStreams: number;
  readonly chunkSize: number;
  readonly bufferChunkSize: number;
  readonly bufferTtl: number;
  readonly heartbeatInterval: number;
  readonly ghostMultiplier: number;
  /** heartbeatInterval × ghostMultiplier, in ms. */
  readonly ghostTimeoutMs: number;
  readonly gracePeriod: number;
  readonly flushIntervalMs: number;
  readonly initialBehindSeconds: number;
  readonly clientBufferSeconds: number;
  readonly keepaliveIntervalMs: number;
  /** How often the owner polls the engine's stat_url, ms (PROXY_STAT_INTERVAL_MS). */
  readonly statIntervalMs: number;
  readonly ownerTtlMs: number;
  /** Seconds players are held through a Redis outage before they are handed back (PROXY_REDIS_OUTAGE_HOLD). */
  readonly redisOutageHold: number;
  readonly initTimeout: number;
  readonly noDataTimeout: number;
  /** Connection deadlines, seconds (PROXY_HEADERS_TIMEOUT, PROXY_BODY_TIMEOUT, PROXY_IDLE_TIMEOUT). */
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly idleTimeout: number;
  /** Connections per worker (PROXY_MAX_CONNECTIONS): auto = from the descriptor limit, 0 = no limit. */
  readonly maxConnections: number | 'auto';
  readonly maxRetries: number;
  /** Wait after a fruitless attempt on an engine before the next, ms (PROXY_RECONNECT_BACKOFF_MS); doubles per one in a row. */
  readonly reconnectBackoffMs: number;
  /** Time between version checks of an unreachable engine, ms (ENGINE_CHECK_INTERVAL_MS). */
  readonly engineCheckIntervalMs: number;
  /** Deadline of engine API calls, seconds (PROXY_ENGINE_API_TIMEOUT). */
  readonly engineApiTimeout: number;
  /** Seconds a player's socket may stay undrained before the player is dropped. */
  readonly clientStallTimeout: number;
  readonly apiKey: string | null;
  /** AUTH: `token` = players need a user token (issue 21). */
  readonly auth: 'none' | 'token';
  /** USERS_FILE: users seeded at start and re-seeded when missing; null = none. */
  readonly usersFile: string | null;
  /** PROXY_READ_KEY: read-only operator key; null = the operator views need the admin key. */
  readonly readKey: string | null;
  /** REDIS_STATE_URL: where durable state lives; null = the streams' Redis (or cluster, or memory). */
  readonly redisStateUrl: string | null;
  readonly orchestratorUrl: string | null;
  readonly orchestratorApiKey: string | null;
  /** First wait before an orchestrator event is sent again, ms (ORCHESTRATOR_RETRY_MS); doubles per failure, at most 5 s. */
  readonly orchestratorRetryMs: number;
  /** PLAYLIST_SOURCES; null when unset. */
  readonly playlistSources: readonly string[] | null;
  readonly playlistRefreshMinutes: number;
  readonly playlistMaxBytes: number;
  /** Largest POST /playlist/rewrite body (PLAYLIST_REWRITE_MAX_BYTES). */
  readonly playlistRewriteMaxBytes: number;
  /** EPG_SOURCES; null when unset. */
  readonly epgSources: readonly string[] | null;
  readonly epgFromPlaylists: boolean;
  readonly epgRefreshHours: number;
  /** Per source, downloaded and unpacked (EPG_MAX_BYTES). */
  readonly epgMaxBytes: number;
  /** Seconds (EPG_TIMEOUT). */
  readonly epgTimeout: number;
  /** Without a trailing slash; null = from each request. */
  readonly publicUrl: string | null;
  readonly trustProxy: boolean;
  /** TRUSTED_PROXIES: who may name the client in X-Forwarded-For (proxy-addr's trust list). */
  readonly trustedProxies: readonly string[];
  /** Per client address, cluster-wide; 0 = off. */
  readonly maxNewSessionsPerMinute: number;
  readonly maxConnectionsPerAddress: number;
  /** PROXY_SECRET; null = generated once per cluster. */
  readonly proxySecret: string | null;
  /** Host headers (lower case, `name` or `name:port`) of the page and /proxy/*; null = any. */
  readonly allowedHosts: readonly string[] | null;
  readonly metricsHost: string | null;
  /** METRICS_USER_LABELS: users named in /metrics (the first by name); the rest are `other`. */
  readonly metricsUserLabels: number;
  /** Seconds (PROXY_HLS_TARGET_DURATION). */
  readonly hlsTargetDuration: number;
  /** Segments per playlist (PROXY_HLS_WINDOW). */
  readonly hlsWindow: number;
  readonly hdhrFriendlyName: string;
  /** Null: engines × ENGINE_MAX_STREAMS. */
  readonly hdhrTunerCount: number | null;
  readonly hdhrDiscovery: boolean;
  readonly hdhrDiscoveryAddress: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly joinBacklogBudgetMb: number;
}
