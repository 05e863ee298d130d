// Public surface of @acestream-proxy/tuner: an emulated HDHomeRun over the playlists' channels.
export { type TunerChannel, tunerChannels } from './channels.js';
export { deviceAuthOf, deviceIdFrom, isValidDeviceId, randomDeviceId } from './device-id.js';
export { HDHOMERUN_DISCOVERY_PORT, HdhomerunDiscoveryResponder } from './discovery/hdhomerun.js';
export { TunerDiscovery, type TunerDiscoveryOptions } from './discovery/index.js';
export type { Announcement, DiscoveryLogger, ResponderOptions } from './discovery/responder.js';
export { SSDP_GROUP, SSDP_PORT, SsdpResponder } from './discovery/ssdp.js';
export {
  type GuideNumberStore,
  MemoryGuideNumberStore,
  type NumberRequest,
  RETIRED_HOLD_MS,
  usableNumber,
} from './guide-numbers.js';
export { deviceUuid, deviceXml, discoverJson, lineupJson, lineupStatusJson, type TunerDevice, type TunerUrls } from './lineup.js';
export { RedisGuideNumberStore } from './redis-store.js';
export { TunerService, type TunerServiceOptions } from './service.js';
