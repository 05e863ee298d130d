// Where the merged playlist lives: the contract, and the in-memory store of embedded mode.

import type { Playlist } from './m3u.js';

/** How one source fared at the last refresh, as /health shows it. */
export interface SourceStatus {
  /** The source as configured, credentials and query string hidden. */
  source: string;
  ok: boolean;
  /** Entries of the copy in use (the last good one when this refresh failed). */
  entries: number;
  /** The failure of the last refresh, null when it succeeded. */
  error: string | null;
  /** When the copy in use was loaded (ISO time), null when the source never loaded. */
  loaded_at: string | null;
}

/** What every worker reads to know how fresh the copy is, without reading the copy. */
export interface PlaylistMeta {
  /** When the last refresh finished (epoch ms). */
  refreshedAt: number;
  /** PLAYLIST_SOURCES of the worker that refreshed: a different list means a refresh is due. */
  sources: string[];
  status: SourceStatus[];
}

export interface PlaylistStore {
  readMeta(): Promise<PlaylistMeta | null>;
  /** The merged playlist written with `meta`. */
  readMerged(): Promise<Playlist | null>;
  /** The last good copy of one source, kept for when its refresh fails. */
  readLastGood(source: string): Promise<Playlist | null>;
  /** Writes a refresh's result at once: meta, merged copy, and the sources that loaded. */
  write(meta: PlaylistMeta, merged: Playlist, loaded: ReadonlyMap<string, Playlist>): Promise<void>;
  /** Takes the refresh lock for `ttlMs`; a token when won, null when another worker holds it. */
  lock(ttlMs: number): Promise<string | null>;
  unlock(token: string): Promise<void>;
}

export class MemoryPlaylistStore implements PlaylistStore {
  private meta: PlaylistMeta | null = null;
  private merged: Playlist | null = null;
  private readonly lastGood = new Map<string, Playlist>();
  private holder: string | null = null;
  private nextToken = 0;

  async readMeta(): Promise<PlaylistMeta | null> {
    return this.meta;
  }
  async readMerged(): Promise<Playlist | null> {
    return this.merged;
  }
  async readLastGood(source: string): Promise<Playlist | null> {
    return this.lastGood.get(source) ?? null;
  }
  async write(meta: PlaylistMeta, merged: Playlist, loaded: ReadonlyMap<string, Playlist>): Promise<void> {
    this.meta = meta;
    this.merged = merged;
    for (const [source, playlist] of loaded) this.lastGood.set(source, playlist);
  }
  // One process: the lock only keeps two refreshes of that process from overlapping.
  async lock(_ttlMs: number): Promise<string | null> {
    if (this.holder) return null;
    this.holder = String(++this.nextToken);
    return this.holder;
  }
  async unlock(token: string): Promise<void> {
    if (this.holder === token) this.holder = null;
  }
}
