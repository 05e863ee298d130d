// Where the guide lives: the contract, and the in-memory store of embedded mode.

/** One stored part of the guide: gzip bytes in `chunks` chunks of at most PART_CHUNK_BYTES. */
export interface PartRef {
  id: string;
  chunks: number;
  /** Compressed bytes. */
  bytes: number;
}

/**
 * A source's filtered guide, kept until a refresh of that source succeeds. Its channels are a few
 * hundred bytes each and no more than the playlist has, so they are kept as text; its programmes
 * (nearly all of a guide) as a part.
 */
export interface SourceCopy {
  /** Its `<channel>` elements under their merged ids: [id as written, element], in source order. */
  channels: Array<[string, string]>;
  /** Its `<programme>` elements, channel attributes rewritten to the merged ids, gzip. */
  programmes: PartRef;
}

/** How one source fared, as /health shows it. */
export interface GuideSourceStatus {
  /** The source as configured, credentials and query string hidden. */
  source: string;
  ok: boolean;
  /** The last refresh's failure (cut to a few hundred characters), null when it succeeded. */
  error: string | null;
  /** When the copy in use was loaded (ISO time), null when the source never loaded. */
  loaded_at: string | null;
  /** Bytes read from the source for the copy in use (as sent: gzip or not). */
  bytes: number;
  /** Channels and programmes of the copy in use. */
  channels: number;
  programmes: number;
}

/** What every worker reads to serve the guide and to know how fresh it is. */
export interface GuideMeta {
  /** When the last refresh finished (epoch ms). */
  refreshedAt: number;
  /** The sources that refresh read (as configured): a different list means a refresh is due. */
  sources: string[];
  /** The playlist channels the guide was filtered to: a different set means a refresh is due. */
  channelsFingerprint: string;
  status: GuideSourceStatus[];
  /** The guide in use, in order: the channels of every source (each id once), then every source's programmes. */
  parts: { channels: PartRef; programmes: PartRef[] };
  /**
   * Parts the last switch stopped using; deleted by the next refresh, hours later, so a player
   * still downloading the previous guide finishes it.
   */
  retired: string[];
}

export interface GuideStore {
  readMeta(): Promise<GuideMeta | null>;
  /** Every source's copy in use, by source as configured. */
  readCopies(): Promise<Map<string, SourceCopy>>;
  /** Adds one chunk to the end of a part (the first one creates it); a part no `write` names lapses in time (Redis). */
  appendChunk(partId: string, chunk: Buffer): Promise<void>;
  /** Chunk `index` of a part, null when the part (or that chunk) is gone. */
  readChunk(partId: string, index: number): Promise<Buffer | null>;
  /** Deletes parts and their schedules. */
  deleteParts(partIds: readonly string[]): Promise<void>;
  /** Keeps a programmes part's next day (channel id → entries JSON, see schedule.ts) beside it. */
  writeSchedule(partId: string, schedule: ReadonlyMap<string, string>): Promise<void>;
  /** The stored entries of `channels` in a part's schedule; channels it lacks are left out. */
  readSchedule(partId: string, channels: readonly string[]): Promise<Map<string, string>>;
  /** Switches to a refresh's result at once: meta, the copies that changed, the sources dropped; the parts meta names are kept for good. */
  write(meta: GuideMeta, copies: ReadonlyMap<string, SourceCopy>, dropped: readonly string[]): Promise<void>;
  /** Takes the refresh lock for `ttlMs`; a token when won, null when another worker holds it. */
  lock(ttlMs: number): Promise<string | null>;
  /** Extends a held lock; false when it was lost (expired and taken, or released). */
  renew(token: string, ttlMs: number): Promise<boolean>;
  unlock(token: string): Promise<void>;
}

export class MemoryGuideStore implements GuideStore {
  private meta: GuideMeta | null = null;
  private readonly copies = new Map<string, SourceCopy>();
  private readonly parts = new Map<string, Buffer[]>();
  private readonly schedules = new Map<string, ReadonlyMap<string, string>>();
  private holder: string | null = null;
  private nextToken = 0;

  /** Parts held (tests: what a refresh left behind). */
  get partIds(): string[] {
    return [...this.parts.keys()];
  }

  async readMeta(): Promise<GuideMeta | null> {
    return this.meta;
  }
  async readCopies(): Promise<Map<string, SourceCopy>> {
    return new Map(this.copies);
  }
  async appendChunk(partId: string, chunk: Buffer): Promise<void> {
    const part = this.parts.get(partId) ?? [];
    part.push(chunk);
    this.parts.set(partId, part);
  }
  async readChunk(partId: string, index: number): Promise<Buffer | null> {
    return this.parts.get(partId)?.[index] ?? null;
  }
  async deleteParts(partIds: readonly string[]): Promise<void> {
    for (const id of partIds) {
      this.parts.delete(id);
      this.schedules.delete(id);
    }
  }
  async writeSchedule(partId: string, schedule: ReadonlyMap<string, string>): Promise<void> {
    this.schedules.set(partId, new Map(schedule));
  }
  async readSchedule(partId: string, channels: readonly string[]): Promise<Map<string, string>> {
    const schedule = this.schedules.get(partId);
    const found = new Map<string, string>();
    for (const channel of channels) {
      const entries = schedule?.get(channel);
      if (entries !== undefined) found.set(channel, entries);
    }
    return found;
  }
  async write(meta: GuideMeta, copies: ReadonlyMap<string, SourceCopy>, dropped: readonly string[]): Promise<void> {
    for (const [source, copy] of copies) this.copies.set(source, copy);
    for (const source of dropped) this.copies.delete(source);
    this.meta = meta;
  }
  // One process: the lock only keeps two refreshes of that process from overlapping.
  async lock(_ttlMs: number): Promise<string | null> {
    if (this.holder) return null;
    this.holder = String(++this.nextToken);
    return this.holder;
  }
  async renew(token: string, _ttlMs: number): Promise<boolean> {
    return this.holder === token;
  }
  async unlock(token: string): Promise<void> {
    if (this.holder === token) this.holder = null;
  }
}
