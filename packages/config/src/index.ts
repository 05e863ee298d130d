// Public surface of @acestream-proxy/config: every knob validated once, and logging.
export {
  ConfigError,
  describeConfig,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  loadConfigOrExit,
} from './load.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export type { EngineAddress, LogFormat, LogLevel, ProxyConfig, RedisMode } from './types.js';
