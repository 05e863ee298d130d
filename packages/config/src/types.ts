// The typed configuration every process receives once, at start (libraries never read process.env).

export interface EngineAddress {
  host: string;
  port: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
export type LogFormat = 'json' | 'pretty';

export interface ProxyConfig {
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly redisUrl: string | null;
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
  readonly ownerTtlMs: number;
  readonly initTimeout: number;
  readonly noDataTimeout: number;
  readonly maxRetries: number;
  readonly apiKey: string | null;
  readonly orchestratorUrl: string | null;
  readonly orchestratorApiKey: string | null;
  /** Seconds (PROXY_HLS_TARGET_DURATION). */
  readonly hlsTargetDuration: number;
  /** Segments per playlist (PROXY_HLS_WINDOW). */
  readonly hlsWindow: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}
