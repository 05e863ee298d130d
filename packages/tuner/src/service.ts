// The tuner of one worker: its device description and the lineup of the playlist copy in use.

import type { StreamId } from '@acestream-proxy/keys';
import type { Playlist } from '@acestream-proxy/playlist';
import { type TunerChannel, tunerChannels } from './channels.js';
import { deviceAuthOf, isValidDeviceId } from './device-id.js';
import type { GuideNumberStore } from './guide-numbers.js';
import type { TunerDevice } from './lineup.js';

export interface TunerServiceOptions {
  store: GuideNumberStore;
  friendlyName: string;
  tunerCount: number;
  /** HDHR_DEVICE_ID, or the id this installation chooses once (kept in the store). */
  deviceId: string;
}

export class TunerService {
  private device: Promise<TunerDevice> | null = null;
  /** The lineup last built, by the playlist copy (refresh time) it came from. */
  private cached: { version: number; channels: TunerChannel[]; byNumber: Map<string, TunerChannel> } | null = null;
  private building: Promise<void> | null = null;

  constructor(private readonly options: TunerServiceOptions) {
    if (!isValidDeviceId(options.deviceId)) throw new Error(`not a valid HDHomeRun DeviceID: ${options.deviceId}`);
  }

  describe(): Promise<TunerDevice> {
    this.device ??= this.options.store.deviceId(this.options.deviceId).then(
      (deviceId) => ({
        deviceId,
        deviceAuth: deviceAuthOf(deviceId),
        friendlyName: this.options.friendlyName,
        tunerCount: this.options.tunerCount,
      }),
      (err: unknown) => {
        this.device = null;
        throw err;
      },
    );
    return this.device;
  }

  /** The channels of `playlist` (refreshed at `version`), numbered; re-assigned only when the copy changes. */
  async lineup(playlist: Playlist, version: number): Promise<TunerChannel[]> {
    // An older copy (a caller that read the playlist before a refresh) never re-assigns: it would
    // retire the newer copy's channels, which then come back with other numbers.
    while (this.cached === null || this.cached === undefined || this.cached.version < version) {
      this.building ??= tunerChannels(playlist, this.options.store)
        .then((channels) => {
          this.cached = { version, channels, byNumber: new Map(channels.map((c) => [c.guideNumber, c])) };
        })
        .finally(() => {
          this.building = null;
        });
      await this.building;
    }
    return this.cached.channels;
  }

  /** The stream id behind `/auto/v<number>`, or null when no channel has that number. */
  async streamOf(playlist: Playlist, version: number, guideNumber: string): Promise<StreamId | null> {
    await this.lineup(playlist, version);
    return this.cached?.byNumber.get(guideNumber)?.id ?? null;
  }
}
