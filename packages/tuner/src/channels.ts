// The tuner's channels: the playlist's AceStream entries with their names and GuideNumbers.

import type { StreamId } from '@acestream-proxy/keys';
import { type Playlist, parseExtinf } from '@acestream-proxy/playlist';
import type { GuideNumberStore } from './guide-numbers.js';
import { usableNumber } from './guide-numbers.js';

export interface TunerChannel {
  id: StreamId;
  guideNumber: string;
  name: string;
  /** The playlist's `tvg-id`, which the XMLTV guide's channel ids follow; null when absent. */
  tvgId: string | null;
  /** A name that says HD (`HD`, `FHD`, `UHD`, `1080`, `720`, `4K`). */
  hd: boolean;
}

const HD = /\b(?:F?HD|UHD|4K|1080[pi]?|720p?)\b/i;

/**
 * Lineup order: by GuideNumber (numerically), as HDHomeRun devices list it. Only AceStream
 * entries are channels: a tuner serves what the proxy can serve.
 */
export async function tunerChannels(playlist: Playlist, store: GuideNumberStore, now = Date.now()): Promise<TunerChannel[]> {
  const found: Array<Omit<TunerChannel, 'guideNumber'> & { wanted: string | null }> = [];
  const seen = new Set<string>();
  for (const entry of playlist.entries) {
    // A channel listed twice (in two groups) is one tuner channel, under its first name.
    if (!entry.id || seen.has(entry.id)) continue;
    seen.add(entry.id);
    const info = entry.extinf ? parseExtinf(entry.extinf) : null;
    const attributes = info?.attributes ?? {};
    const name = info?.title || attributes['tvg-name'] || entry.id;
    found.push({
      id: entry.id,
      name,
      tvgId: attributes['tvg-id'] || null,
      hd: HD.test(name),
      wanted: usableNumber(attributes['tvg-chno']),
    });
  }
  const numbers = await store.assign(
    found.map((c) => ({ channel: c.id, wanted: c.wanted })),
    now,
  );
  return found
    .map(({ wanted: _wanted, ...c }) => ({ ...c, guideNumber: numbers.get(c.id)! }))
    .sort((a, b) => compareNumbers(a.guideNumber, b.guideNumber));
}

function compareNumbers(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}
