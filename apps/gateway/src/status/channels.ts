// Names for the status page's streams: the playlist's name and logo, the tuner's GuideNumber, and
// what the guide says is on now, instead of a bare id.

import { guideIdOf, type NowOn } from '@acestream-proxy/epg';
import { listChannels } from '@acestream-proxy/playlist';
import type { GatewayContext } from '../context.js';
import { currentPlaylist } from '../guide.js';

export interface ChannelLabel {
  name: string;
  logo: string | null;
  guide_number: string | null;
  /** The guide's programme running now, null without a guide or a programme. */
  now: NowOn | null;
}

interface Known {
  name: string;
  logo: string | null;
  guideNumber: string | null;
  /** The channel's id in the merged guide. */
  guideId: string | null;
}

export class ChannelLabels {
  /** The playlist copy's channels by stream id, rebuilt when the copy changes. */
  private cached: { version: number; byId: Map<string, Known> } | null = null;

  constructor(private readonly ctx: Pick<GatewayContext, 'playlist' | 'tuner' | 'guide'>) {}

  /** Labels of the streams of `ids` the playlists list; the others are left out (the page shows their id). */
  async of(ids: readonly string[]): Promise<Map<string, ChannelLabel>> {
    const labels = new Map<string, ChannelLabel>();
    if (ids.length === 0) return labels;
    const byId = await this.channels();
    const known = ids.flatMap((id) => {
      const channel = byId.get(id);
      return channel ? [[id, channel] as const] : [];
    });
    const guideIds = known.flatMap(([, c]) => (c.guideId ? [c.guideId] : []));
    // The page still names channels when the guide cannot be read.
    const now = await this.ctx.guide.nowOn(guideIds).catch(() => new Map<string, NowOn>());
    for (const [id, c] of known) {
      labels.set(id, {
        name: c.name,
        logo: c.logo,
        guide_number: c.guideNumber,
        now: (c.guideId && now.get(c.guideId)) || null,
      });
    }
    return labels;
  }

  private async channels(): Promise<Map<string, Known>> {
    const current = await currentPlaylist(this.ctx.playlist);
    if (!current) return new Map();
    if (this.cached?.version !== current.version) {
      const numbers = new Map(
        (await this.ctx.tuner.service.lineup(current.playlist, current.version)).map((c) => [c.id as string, c.guideNumber]),
      );
      const byId = new Map<string, Known>();
      for (const channel of listChannels(current.playlist, { baseUrl: '', format: 'ts' })) {
        // An id listed twice is the channel where it first appears (as the playlist merge keeps it).
        if (!channel.id || byId.has(channel.id)) continue;
        const guideNumber = numbers.get(channel.id) ?? null;
        byId.set(channel.id, {
          name: channel.name,
          logo: channel.logo,
          guideNumber,
          guideId: guideIdOf({ tvgId: channel.tvg_id, guideNumber }),
        });
      }
      this.cached = { version: current.version, byId };
    }
    return this.cached.byId;
  }
}
