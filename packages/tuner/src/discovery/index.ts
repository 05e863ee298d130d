// Discovery for one host: the HDHomeRun responder, and SSDP in the same worker once it holds 65001.

import { HDHOMERUN_DISCOVERY_PORT, HdhomerunDiscoveryResponder } from './hdhomerun.js';
import type { Announcement, DiscoveryLogger } from './responder.js';
import { SSDP_PORT, SsdpResponder } from './ssdp.js';

export interface TunerDiscoveryOptions {
  address: string;
  hdhomerunPort?: number;
  ssdpPort?: number;
  announce(localAddress: string): Promise<Announcement>;
  logger: DiscoveryLogger;
}

export class TunerDiscovery {
  readonly hdhomerun: HdhomerunDiscoveryResponder;
  readonly ssdp: SsdpResponder;

  constructor(options: TunerDiscoveryOptions) {
    const common = { address: options.address, announce: options.announce, logger: options.logger };
    this.ssdp = new SsdpResponder({ ...common, port: options.ssdpPort ?? SSDP_PORT });
    // SSDP's port is shared (reuseAddr), so it follows the exclusive one: one answer per host.
    this.hdhomerun = new HdhomerunDiscoveryResponder(
      { ...common, port: options.hdhomerunPort ?? HDHOMERUN_DISCOVERY_PORT },
      () => {
        void this.ssdp.start();
      },
    );
  }

  start(): Promise<void> {
    return this.hdhomerun.start();
  }

  async close(): Promise<void> {
    await this.hdhomerun.close();
    await this.ssdp.close();
  }
}
