// The emulated HDHomeRun of one worker (issue 22): its service, and discovery when switched on.

import { hostname } from 'node:os';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { Logger } from '@acestream-proxy/stream';
import { deviceIdFrom, type GuideNumberStore, randomDeviceId, TunerDiscovery, TunerService } from '@acestream-proxy/tuner';
import type { BackendMode } from './backends/index.js';

export interface Tuner {
  service: TunerService;
  /** Null unless HDHR_DISCOVERY is on. */
  discovery: TunerDiscovery | null;
  close(): Promise<void>;
}

export function createTuner(config: ProxyConfig, mode: BackendMode, store: GuideNumberStore, logger: Logger): Tuner {
  const service = new TunerService({
    store,
    friendlyName: config.hdhrFriendlyName,
    // Media servers refuse a channel past the tuner count themselves, so it says what engines can take.
    tunerCount: config.hdhrTunerCount ?? Math.min(255, Math.max(1, config.engines.length * config.engineMaxStreams)),
    // The first worker's candidate is stored and kept; embedded mode keeps nothing, so its id
    // comes from what stays the same across restarts of one installation.
    deviceId: mode === 'embedded' ? deviceIdFrom(`${hostname()}:${config.port}`) : randomDeviceId(),
  });
  const discovery = config.hdhrDiscovery
    ? new TunerDiscovery({
        address: config.hdhrDiscoveryAddress,
        announce: async (local) => ({
          device: await service.describe(),
          baseUrl: config.publicUrl ?? `http://${local}:${config.port}`,
        }),
        logger,
      })
    : null;
  void discovery?.start();
  return {
    service,
    discovery,
    close: async () => {
      await discovery?.close();
    },
  };
}
