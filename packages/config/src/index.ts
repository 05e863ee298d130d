// Public surface of @acestream-proxy/config: every knob validated once, and logging.
export {
  ConfigError,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  loadConfigOrExit,
} from './load.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export {
  CONFIG_REFERENCE_BEGIN,
  CONFIG_REFERENCE_END,
  describeConfig,
  type KnobDescription,
  renderConfigReference,
  spliceConfigReference,
} from './reference.js';
export type { EngineAddress, LogFormat, LogLevel, ProxyConfig, RedisMode } from './types.js';
