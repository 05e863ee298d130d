// Every knob of DESIGN §9: its env name, default, meaning and check — the one list of them.

import { availableParallelism } from 'node:os';
import convict from 'convict';
import {
  boolean,
  type Check,
  decimal,
  engineList,
  hostList,
  hostPortList,
  integer,
  integerOrAuto,
  oneOf,
  pattern,
  playlistSources,
  proxyList,
  publicUrl,
  readableFile,
  secret,
  url,
} from './formats.js';
import type { ProxyConfig } from './types.js';

interface Knob {
  env: string;
  doc: string;
  default: string | null;
  /** The default as the configuration reference shows it, when it depends on the machine. */
  shownDefault?: string;
  check: Check<unknown>;
  /** Its value never appears in an error message (a secret). */
  secret?: boolean;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

export const KNOBS = {
  port: {
    env: 'PORT',
    doc: 'HTTP port of the gateway (0 picks a free one)',
    default: '8000',
    check: integer(0, 65535),
  },
  host: {
    env: 'HOST',
    doc: 'Address the gateway listens on',
    default: '0.0.0.0',
    check: pattern(/^\S+$/, 'a host name or address'),
  },
  workers: {
    env: 'WORKERS',
    doc: 'Worker processes in Redis mode (node:cluster); embedded mode always runs one',
    default: String(availableParallelism()),
    shownDefault: 'the CPU count',
    check: integer(1, 256),
  },
  workerRestartBackoffMs: {
    env: 'WORKER_RESTART_BACKOFF_MS',
    doc: 'Restart delay unit of a worker that crashed again within 30 s of its start, ms: the n-th such crash in a row waits this × 2^n (400 ms, 800 ms, … with 100), at most 30 s; a first crash restarts at once',
    default: '100',
    check: integer(0, 30_000, 'of milliseconds'),
  },
  acceptQuietMs: {
    env: 'ACCEPT_QUIET_MS',
    doc: 'After connections last queued on the shared socket, how long a worker keeps accepting from every copy of it before going back to a few, ms',
    default: '5000',
    check: integer(100, 600_000, 'of milliseconds'),
  },
  notReadyWaitMs: {
    env: 'NOT_READY_WAIT_MS',
    doc: 'How long a connection a starting worker accepted waits for it to be ready before a 503 with Retry-After, ms',
    default: '5000',
    check: integer(100, 60_000, 'of milliseconds'),
  },
  redisUrl: {
    env: 'REDIS_URL',
    doc: 'Redis to coordinate through; unset = embedded mode (one process, in memory)',
    default: null,
    check: url(['redis://', 'rediss://']),
  },
  redisClusterNodes: {
    env: 'REDIS_CLUSTER_NODES',
    doc: 'Redis Cluster seed nodes as host:port[,host:port...] (cluster mode); not together with REDIS_URL',
    default: null,
    check: hostPortList('cluster node', 'cluster nodes'),
  },
  keyPrefix: {
    env: 'REDIS_KEY_PREFIX',
    doc: 'Prefix of every Redis key and channel',
    default: 'ace_proxy',
    check: pattern(/^[A-Za-z0-9_:.-]+$/, 'letters, digits, _ : . or -'),
  },
  engines: {
    env: 'ENGINES',
    doc: 'AceStream engines as host:port[,host:port...]; with ORCHESTRATOR_URL the orchestrator lists them instead',
    default: '127.0.0.1:6878',
    check: engineList,
  },
  engineMaxStreams: {
    env: 'ENGINE_MAX_STREAMS',
    doc: 'Streams one engine may serve at once',
    default: '3',
    check: integer(1),
  },
  chunkSize: {
    env: 'PROXY_CHUNK_SIZE',
    doc: 'Read size from the engine, bytes',
    default: '8192',
    check: integer(188, 16 * 1024 * 1024, 'of bytes'),
  },
  bufferChunkSize: {
    env: 'PROXY_BUFFER_CHUNK_SIZE',
    doc: 'Largest chunk stored in the buffer, bytes (aligned down to a multiple of 188)',
    default: '1048476',
    check: integer(188, 64 * 1024 * 1024, 'of bytes'),
  },
  bufferTtl: {
    env: 'PROXY_BUFFER_TTL',
    doc: 'Seconds a chunk stays in the buffer',
    default: '60',
    check: integer(1, 3600, 'of seconds'),
  },
  heartbeatInterval: {
    env: 'PROXY_HEARTBEAT_INTERVAL',
    doc: 'Seconds between client record refreshes',
    default: '10',
    check: integer(1, 3600, 'of seconds'),
  },
  ghostMultiplier: {
    env: 'PROXY_GHOST_MULTIPLIER',
    doc: 'Missed heartbeats before a client record is a ghost',
    default: '5',
    check: integer(2, 100),
  },
  gracePeriod: {
    env: 'PROXY_GRACE_PERIOD',
    doc: 'Seconds a stream with no client keeps its engine session',
    default: '5',
    check: decimal(0, { unit: 'of seconds' }),
  },
  flushIntervalMs: {
    env: 'PROXY_FLUSH_INTERVAL_MS',
    doc: 'Longest a byte waits before its chunk is flushed, ms',
    default: '100',
    check: integer(5, 10_000, 'of milliseconds'),
  },
  initialBehindSeconds: {
    env: 'PROXY_INITIAL_BEHIND_SECONDS',
    doc: 'How far behind the live edge a joining client starts, seconds',
    default: '3',
    check: decimal(0, { unit: 'of seconds' }),
  },
  clientBufferSeconds: {
    env: 'PROXY_CLIENT_BUFFER_SECONDS',
    doc: 'How far behind the join point a slow player may fall before it jumps to the live edge, seconds',
    default: '5',
    check: decimal(0, { unit: 'of seconds' }),
  },
  keepaliveIntervalMs: {
    env: 'PROXY_KEEPALIVE_INTERVAL_MS',
    doc: 'Period of keepalive null packets during silences, ms',
    default: '500',
    check: integer(50, 5000, 'of milliseconds'),
  },
  statIntervalMs: {
    env: 'PROXY_STAT_INTERVAL_MS',
    doc: "How often a stream's owner reads the engine's stat_url (peers, speed) into the stream's metadata, ms",
    default: '5000',
    check: integer(100, 600_000, 'of milliseconds'),
  },
  ownerTtlMs: {
    env: 'PROXY_OWNER_TTL_MS',
    doc: 'Lifetime of a stream ownership, renewed every third, ms',
    default: '3000',
    check: integer(300, 600_000, 'of milliseconds'),
  },
  redisOutageHold: {
    env: 'PROXY_REDIS_OUTAGE_HOLD',
    doc: 'Seconds a worker that cannot reach Redis holds its players (keepalives); past it they are closed, spread over 2 s, to reconnect through the load balancer to a healthy host',
    default: '15',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  initTimeout: {
    env: 'PROXY_INIT_TIMEOUT',
    doc: 'Seconds to wait for the first byte of an engine session',
    default: '30',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  noDataTimeout: {
    env: 'PROXY_NO_DATA_TIMEOUT',
    doc: 'Seconds of engine silence mid-stream before reconnecting',
    default: '5',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  engineCheckIntervalMs: {
    env: 'ENGINE_CHECK_INTERVAL_MS',
    doc: 'Time between version checks of an engine found unreachable, ms; it takes no new streams until one answers (the other workers hear of it through Redis)',
    default: '5000',
    check: integer(100, 600_000, 'of milliseconds'),
  },
  engineApiTimeout: {
    env: 'PROXY_ENGINE_API_TIMEOUT',
    doc: 'Seconds an engine has to answer an API call (getstream, stat, stop, version); one that does not counts as unreachable',
    default: '5',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  clientStallTimeout: {
    env: 'PROXY_CLIENT_STALL_TIMEOUT',
    doc: 'Seconds a player may leave its socket undrained (not reading) before it is dropped',
    default: '300',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  headersTimeout: {
    env: 'PROXY_HEADERS_TIMEOUT',
    doc: "Seconds a connection has to send a request's headers (from accept, or from its first byte after a response); past it: 408 and closed",
    default: '10',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  bodyTimeout: {
    env: 'PROXY_BODY_TIMEOUT',
    doc: "Seconds a request's body may take to arrive after its headers; past it the connection is closed",
    default: '60',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  idleTimeout: {
    env: 'PROXY_IDLE_TIMEOUT',
    doc: "Seconds a kept-alive connection may wait between requests before it is closed (never during a response: a stream runs on); above a load balancer's idle timeout",
    default: '65',
    check: decimal(0, { exclusive: true, unit: 'of seconds' }),
  },
  maxConnections: {
    env: 'PROXY_MAX_CONNECTIONS',
    doc: 'Connections one worker serves at once; past it a new one gets a fast 503 with Retry-After; auto = the file descriptor limit (ulimit -n) less 384 kept for engines, Redis and the listening socket; 0 = no limit',
    default: 'auto',
    check: integerOrAuto(0),
  },
  maxRetries: {
    env: 'PROXY_MAX_RETRIES',
    doc: 'Reconnects to one engine before giving up on it',
    default: '3',
    check: integer(0, 100),
  },
  reconnectBackoffMs: {
    env: 'PROXY_RECONNECT_BACKOFF_MS',
    doc: 'Wait after a refused or fruitless attempt on an engine before the next, ms; doubles with each one in a row (up to 8 times), ±25% jitter; a stream that delivered is reconnected at once; 0 = no wait',
    default: '250',
    check: integer(0, 60_000, 'of milliseconds'),
  },
  apiKey: {
    env: 'PROXY_API_KEY',
    doc: 'Key for the management API (DELETE routes), 16 characters or more; unset = those routes are refused',
    default: null,
    // Short keys are guessed; `openssl rand -hex 16` makes a good one.
    check: pattern(/^\S{16,}$/, 'at least 16 characters without spaces (e.g. the output of `openssl rand -hex 16`)'),
  },
  auth: {
    env: 'AUTH',
    doc: 'Who may watch: none = anyone who reaches the proxy; token = players need a user token (in the URL as /u/<token>/... or as the Basic password), operator views need PROXY_API_KEY or PROXY_READ_KEY',
    default: 'none',
    check: oneOf(['none', 'token'] as const),
  },
  usersFile: {
    env: 'USERS_FILE',
    doc: 'YAML or JSON file of users (name, token_sha256 or token, enabled, expires_at, limits, groups), made as it says at start and re-made whenever found missing; unset = users come from the admin API only',
    default: null,
    check: readableFile,
  },
  readKey: {
    env: 'PROXY_READ_KEY',
    doc: 'Read-only operator key for AUTH=token (status page through its login, /proxy/streams, /proxy/events, the users list; no changes), 16 characters or more; unset = those views need PROXY_API_KEY',
    default: null,
    check: secret(16),
    secret: true,
  },
  redisStateUrl: {
    env: 'REDIS_STATE_URL',
    doc: 'A Redis of its own for durable state (users, GuideNumbers, the generated HLS key, playlist copies), run with appendonly yes; needs REDIS_URL or REDIS_CLUSTER_NODES; unset = the same Redis (or cluster) as the streams',
    default: null,
    check: url(['redis://', 'rediss://']),
  },
  orchestratorUrl: {
    env: 'ORCHESTRATOR_URL',
    doc: 'Orchestrator base URL: engines come from its /engines, stream_started/stream_ended go to its /events; unset = none',
    default: null,
    check: url(['http://', 'https://']),
  },
  orchestratorApiKey: {
    env: 'ORCHESTRATOR_API_KEY',
    doc: 'Bearer key sent to the orchestrator',
    default: null,
    check: pattern(/^\S+$/, 'a non-empty string without spaces'),
  },
  orchestratorRetryMs: {
    env: 'ORCHESTRATOR_RETRY_MS',
    doc: 'Wait before sending again an event the orchestrator did not take, ms; doubles with each failure in a row, at most 5 s; events are never dropped',
    default: '500',
    check: integer(10, 5000, 'of milliseconds'),
  },
  playlistSources: {
    env: 'PLAYLIST_SOURCES',
    doc: 'M3U playlists to serve rewritten at /playlist.m3u: http(s) URLs and/or file paths, comma-separated; unset = none',
    default: null,
    check: playlistSources,
  },
  playlistRefreshMinutes: {
    env: 'PLAYLIST_REFRESH_MINUTES',
    doc: 'Minutes between reloads of PLAYLIST_SOURCES (at least 0.01; a failing source keeps its last good copy)',
    default: '60',
    // 0.01 min (0.6 s) at least: tests refresh often; anything faster only hammers the sources.
    check: decimal(0.01, { unit: 'of minutes' }),
  },
  playlistMaxBytes: {
    env: 'PLAYLIST_MAX_BYTES',
    doc: 'Largest playlist accepted from a source or in a POST /playlist/rewrite body, bytes',
    default: String(10 * 1024 * 1024),
    check: integer(1024, 1024 * 1024 * 1024, 'of bytes'),
  },
  playlistRewriteMaxBytes: {
    env: 'PLAYLIST_REWRITE_MAX_BYTES',
    doc: 'Largest body of POST /playlist/rewrite, bytes (larger answers 413); rewrites run on a thread of their own, one at a time per process',
    default: String(1024 * 1024),
    check: integer(1024, 1024 * 1024 * 1024, 'of bytes'),
  },
  epgSources: {
    env: 'EPG_SOURCES',
    doc: "XMLTV guides served merged at /epg.xml(.gz), filtered to the playlists' channels: http(s) URLs and/or file paths, plain or gzip, comma-separated; unset = only the guides the playlists name",
    default: null,
    // The same rule as PLAYLIST_SOURCES: http(s) URLs, file paths or file:// URLs.
    check: playlistSources,
  },
  epgFromPlaylists: {
    env: 'EPG_FROM_PLAYLISTS',
    doc: 'Also read the guides the playlists name in their header (url-tvg, x-tvg-url; http(s) only), after EPG_SOURCES',
    default: 'true',
    check: boolean,
  },
  epgRefreshHours: {
    env: 'EPG_REFRESH_HOURS',
    doc: 'Hours between reloads of the guide sources (at least 0.001; a failing source keeps its last good copy)',
    default: '12',
    check: decimal(0.001, { unit: 'of hours' }),
  },
  epgMaxBytes: {
    env: 'EPG_MAX_BYTES',
    doc: 'Largest guide accepted from one source, bytes, as downloaded and once unpacked (guides are parsed as streams, never held whole)',
    default: String(1024 * 1024 * 1024),
    check: integer(1024 * 1024, 64 * 1024 * 1024 * 1024, 'of bytes'),
  },
  epgTimeout: {
    env: 'EPG_TIMEOUT',
    doc: 'Deadline for reading one guide source, seconds (connect, redirects, whole body, parsed as it arrives)',
    default: '600',
    check: integer(1, 24 * 3600, 'of seconds'),
  },
  publicUrl: {
    env: 'PUBLIC_URL',
    doc: "Base URL players reach the proxy at, used in playlists; unset = the request's Host",
    default: null,
    check: publicUrl,
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    doc: 'Take the playlist base URL from X-Forwarded-Proto/-Host (behind a reverse proxy); false = ignore them',
    default: 'false',
    check: boolean,
  },
  trustedProxies: {
    env: 'TRUSTED_PROXIES',
    doc: 'Peers whose X-Forwarded-For names the client (load balancers, reverse proxies): range names (loopback, linklocal, uniquelocal), addresses or CIDR blocks, comma-separated; the per-address limits then apply to the players behind them',
    default: 'loopback',
    check: proxyList,
  },
  maxNewSessionsPerMinute: {
    env: 'PROXY_MAX_NEW_SESSIONS_PER_MINUTE',
    doc: 'New engine sessions one client address may start per minute, cluster-wide (joining a channel already playing is not one); past it 429 too_many_new_sessions; 0 = no limit',
    // One zap a second for half a minute: a household flicking through cold channels stays under
    // it, a page firing requests for made-up ids holds an engine slot a few times a minute at most.
    default: '30',
    check: integer(0),
  },
  maxConnectionsPerAddress: {
    env: 'PROXY_MAX_CONNECTIONS_PER_ADDRESS',
    doc: 'Players (TS connections and HLS sessions) one client address may have at once, cluster-wide; past it 429 too_many_connections; 0 = no limit',
    // Far above a household's screens (and an IPTV manager's probes), far below what exhausts a worker.
    default: '50',
    check: integer(0),
  },
  proxySecret: {
    env: 'PROXY_SECRET',
    doc: 'Key that signs HLS session ids, the same on every host (at least 16 characters); unset = generated once and kept in Redis (set it in production, so that Redis losing its data does not end HLS sessions)',
    default: null,
    check: secret(16),
    secret: true,
  },
  allowedHosts: {
    env: 'ALLOWED_HOSTS',
    doc: 'Host headers the status page and /proxy/* answer (name or name:port, comma-separated; a name alone allows any port); others get 403, which stops DNS rebinding; unset = any',
    default: null,
    check: hostList,
  },
  metricsHost: {
    env: 'PROXY_METRICS_HOST',
    doc: "Name of this gateway in /metrics: a scrape answers the figures of the workers sharing it; unset = the machine's hostname",
    default: null,
    check: pattern(/^\S+$/, 'a non-empty string without spaces'),
  },
  metricsUserLabels: {
    env: 'METRICS_USER_LABELS',
    doc: 'AUTH=token: users with series of their own in /metrics (acestream_proxy_user_*), the first this many by name; the rest are summed as user="other", so a scrape has at most this many + 1 series per family; 0 = all summed as "other"',
    default: '100',
    check: integer(0, 10_000),
  },
  hlsTargetDuration: {
    env: 'PROXY_HLS_TARGET_DURATION',
    doc: 'Shortest HLS segment, seconds: a segment starts at the first picture this long after the previous one',
    default: '2',
    check: decimal(0.5, { unit: 'of seconds' }),
  },
  hlsWindow: {
    env: 'PROXY_HLS_WINDOW',
    doc: 'Segments listed in a live HLS playlist',
    default: '6',
    check: integer(2, 100),
  },
  hdhrFriendlyName: {
    env: 'HDHR_FRIENDLY_NAME',
    doc: 'Name the emulated HDHomeRun tuner shows in Plex, Emby and Jellyfin',
    default: 'AceStream Proxy',
    check: pattern(/^[^<>&]{1,64}$/, '1 to 64 characters, none of < > &'),
  },
  hdhrTunerCount: {
    env: 'HDHR_TUNER_COUNT',
    doc: 'Channels the emulated tuner says it can play at once (media servers enforce it); unset = engines × ENGINE_MAX_STREAMS',
    default: null,
    shownDefault: 'engines × ENGINE_MAX_STREAMS',
    check: integer(1, 255),
  },
  hdhrDiscovery: {
    env: 'HDHR_DISCOVERY',
    doc: 'Answer HDHomeRun discovery (UDP 65001) and SSDP M-SEARCH (UDP 1900), each only to the asker; false = find the tuner by its URL',
    default: 'false',
    check: boolean,
  },
  hdhrDiscoveryAddress: {
    env: 'HDHR_DISCOVERY_ADDRESS',
    doc: "IPv4 address the discovery responders listen on: 0.0.0.0 = every interface (replies name the address of the asker's subnet)",
    default: '0.0.0.0',
    check: pattern(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address'),
  },
  logLevel: { env: 'LOG_LEVEL', doc: 'Log level', default: 'info', check: oneOf(LOG_LEVELS) },
  logFormat: {
    env: 'LOG_FORMAT',
    doc: 'Log format: json lines or pretty single lines',
    default: 'json',
    check: oneOf(['json', 'pretty'] as const),
  },
  joinBacklogBudgetMb: {
    env: 'PROXY_JOIN_BACKLOG_BUDGET_MB',
    doc: 'Backlog a worker may owe its joining players of a stream at once, MB; past it a joiner starts at the newest picture (a flash crowd costs bounded memory, starts faster and never stalls the players already watching); a joiner when nothing is owed always gets its full backlog',
    default: '4',
    check: decimal(0, { unit: 'of megabytes' }),
  },
} satisfies Record<Exclude<keyof ProxyConfig, 'ghostTimeoutMs' | 'redisMode'>, Knob>;

export type KnobName = keyof typeof KNOBS;

/**
 * The convict schema over `env`: convict maps variables to knobs (and keeps their docs); values
 * stay strings there and are parsed by the checks above, whose messages name what is allowed.
 */
export function convictSchema(env: Record<string, string | undefined>) {
  const schema: Record<string, convict.SchemaObj<string | null>> = {};
  for (const [name, knob] of Object.entries(KNOBS)) {
    schema[name] = {
      doc: knob.doc,
      env: knob.env,
      default: knob.default,
      format: '*',
      nullable: knob.default === null,
    };
  }
  return convict(schema, { env, args: [] });
}
