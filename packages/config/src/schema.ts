// Every knob of DESIGN §9: its env name, default, meaning and check — the one list of them.

import { availableParallelism } from 'node:os';
import convict from 'convict';
import {
  boolean,
  type Check,
  decimal,
  engineList,
  hostPortList,
  integer,
  oneOf,
  pattern,
  playlistSources,
  publicUrl,
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
  ownerTtlMs: {
    env: 'PROXY_OWNER_TTL_MS',
    doc: 'Lifetime of a stream ownership, renewed every third, ms',
    default: '3000',
    check: integer(300, 600_000, 'of milliseconds'),
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
  maxRetries: {
    env: 'PROXY_MAX_RETRIES',
    doc: 'Reconnects to one engine before giving up on it',
    default: '3',
    check: integer(0, 100),
  },
  apiKey: {
    env: 'PROXY_API_KEY',
    doc: 'Key for the management API (DELETE routes); unset = those routes are refused',
    default: null,
    check: pattern(/^\S+$/, 'a non-empty string without spaces'),
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
  metricsHost: {
    env: 'PROXY_METRICS_HOST',
    doc: "Name of this gateway in /metrics: a scrape answers the figures of the workers sharing it; unset = the machine's hostname",
    default: null,
    check: pattern(/^\S+$/, 'a non-empty string without spaces'),
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
