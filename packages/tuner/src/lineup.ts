// The HDHomeRun HTTP API's documents: discover.json, lineup.json, lineup_status.json, device.xml.

import type { TunerChannel } from './channels.js';

/** What the tuner says about itself; the base URL comes with each request. */
export interface TunerDevice {
  deviceId: string;
  deviceAuth: string;
  friendlyName: string;
  tunerCount: number;
}

/**
 * Where a client reaches the tuner: scheme, host and any path prefix, no trailing slash.
 * `query` is appended to every URL the documents list (kept for per-user tokens later).
 */
export interface TunerUrls {
  baseUrl: string;
  query?: string;
}

/** The model other HDHomeRun emulators report: media servers know it as a network tuner streaming over HTTP. */
export const MODEL_NUMBER = 'HDTC-2US';
export const FIRMWARE_NAME = 'hdhomeruntc_atsc';
export const FIRMWARE_VERSION = '20200101';

function url(urls: TunerUrls, path: string): string {
  return `${urls.baseUrl}${path}${urls.query ? `?${urls.query}` : ''}`;
}

export function discoverJson(device: TunerDevice, urls: TunerUrls): Record<string, unknown> {
  return {
    FriendlyName: device.friendlyName,
    Manufacturer: 'Silicondust',
    ModelNumber: MODEL_NUMBER,
    FirmwareName: FIRMWARE_NAME,
    FirmwareVersion: FIRMWARE_VERSION,
    DeviceID: device.deviceId,
    DeviceAuth: device.deviceAuth,
    TunerCount: device.tunerCount,
    BaseURL: urls.baseUrl,
    LineupURL: url(urls, '/lineup.json'),
  };
}

/** The lineup is the playlist: there is never a scan in progress, and the source is cable-like. */
export function lineupStatusJson(): Record<string, unknown> {
  return { ScanInProgress: 0, ScanPossible: 1, Source: 'Cable', SourceList: ['Cable'] };
}

/**
 * One entry per channel. `HD` and `Favorite` are what Jellyfin reads besides number, name and
 * URL; codecs are left out because a playlist does not say them, and a wrong one makes Jellyfin
 * skip its own probe.
 */
export function lineupJson(channels: readonly TunerChannel[], urls: TunerUrls): Array<Record<string, unknown>> {
  return channels.map((c) => ({
    GuideNumber: c.guideNumber,
    GuideName: c.name,
    URL: url(urls, `/auto/v${c.guideNumber}`),
    HD: c.hd ? 1 : 0,
    Favorite: 0,
  }));
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);

/** The UPnP device description SSDP's LOCATION points at (Plex reads it to find discover.json). */
export function deviceXml(device: TunerDevice, urls: TunerUrls): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <URLBase>${escapeXml(urls.baseUrl)}</URLBase>
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>
    <friendlyName>${escapeXml(device.friendlyName)}</friendlyName>
    <manufacturer>Silicondust</manufacturer>
    <modelName>${MODEL_NUMBER}</modelName>
    <modelNumber>${MODEL_NUMBER}</modelNumber>
    <serialNumber>${device.deviceId}</serialNumber>
    <UDN>uuid:${deviceUuid(device.deviceId)}</UDN>
  </device>
</root>
`;
}

/** A UPnP UUID that stays the same for a DeviceID. */
export function deviceUuid(deviceId: string): string {
  const hex = deviceId.toLowerCase().padStart(8, '0');
  return `${hex}-ace0-4000-8000-${hex}acec`;
}
