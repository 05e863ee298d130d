// Which guide channels are the playlist's: by tvg-id first, else by display name.

/** A playlist channel the guide is filtered to. */
export interface GuideChannel {
  tvgId: string | null;
  name: string;
  /** The tuner's GuideNumber: added as a display name, which Plex matches channels by. */
  guideNumber: string | null;
}

export interface Match {
  /** The id the merged guide uses: the playlist's tvg-id, else `ace.<GuideNumber>`. */
  id: string;
  channel: GuideChannel;
}

/** The id a playlist channel has in the merged guide: its tvg-id, else `ace.<GuideNumber>`; null with neither. */
export function guideIdOf(channel: Pick<GuideChannel, 'tvgId' | 'guideNumber'>): string | null {
  return channel.tvgId ?? (channel.guideNumber ? `ace.${channel.guideNumber}` : null);
}

const normalise = (name: string) => name.normalize('NFKC').toLocaleLowerCase().replace(/\s+/g, ' ').trim();

export class ChannelMatcher {
  private readonly byId = new Map<string, Match>();
  private readonly byName = new Map<string, Match>();

  constructor(channels: readonly GuideChannel[]) {
    for (const channel of channels) {
      const id = guideIdOf(channel);
      if (!id) continue;
      const match = { id, channel };
      if (channel.tvgId && !this.byId.has(channel.tvgId.toLowerCase())) this.byId.set(channel.tvgId.toLowerCase(), match);
      const name = normalise(channel.name);
      if (!this.byName.has(name)) this.byName.set(name, match);
    }
  }

  /** The playlist channel a guide channel (its id and display names) stands for, or null. */
  match(sourceId: string, displayNames: readonly string[]): Match | null {
    const byId = this.byId.get(sourceId.toLowerCase());
    if (byId) return byId;
    for (const name of displayNames) {
      const byName = this.byName.get(normalise(name));
      if (byName) return byName;
    }
    return null;
  }
}
