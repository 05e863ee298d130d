// Keeps the merged playlist fresh: one refresher at a time, last good copies kept, copy served to all.

import { NoPlaylistSourcesError, PlaylistUnavailableError } from './errors.js';
import { type Playlist, parsePlaylist } from './m3u.js';
import { mergePlaylists } from './rewrite.js';
import { DEFAULT_SOURCE_LIMITS, describeSource, loadSource, type SourceLimits } from './source.js';
import type { PlaylistMeta, PlaylistStore, SourceStatus } from './store.js';

export interface PlaylistLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
}

export interface PlaylistServiceOptions {
  /** PLAYLIST_SOURCES: URLs and file paths, in the order their entries are merged. */
  sources: readonly string[];
  refreshIntervalMs: number;
  store: PlaylistStore;
  logger: PlaylistLogger;
  limits?: SourceLimits;
}

/** The copy in use and how every source fared. */
export interface PlaylistSnapshot {
  playlist: Playlist;
  meta: PlaylistMeta;
}

/** What /health shows. */
export interface PlaylistHealth {
  sources: SourceStatus[];
  refreshed_at: string | null;
  refresh_interval_s: number;
}

/** Freshness checks happen at least this often, so a refresh a dead worker missed is soon made up. */
const MAX_CHECK_INTERVAL_MS = 30_000;
/** How often a starting worker looks whether the worker holding the lock has finished. */
const LOCK_POLL_MS = 200;

export class PlaylistService {
  private readonly sources: readonly string[];
  private readonly store: PlaylistStore;
  private readonly logger: PlaylistLogger;
  private readonly limits: SourceLimits;
  private readonly refreshIntervalMs: number;
  /** Longest a refresh may hold the lock: every source loads in parallel within the deadline. */
  private readonly lockTtlMs: number;
  private timer: NodeJS.Timeout | null = null;
  private first: Promise<void> | null = null;
  private closed = false;
  /** The merged copy last read, by the refresh it came from, so requests re-read only meta. */
  private cached: { refreshedAt: number; playlist: Playlist } | null = null;

  constructor(options: PlaylistServiceOptions) {
    this.sources = options.sources;
    this.store = options.store;
    this.logger = options.logger;
    this.limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
    this.refreshIntervalMs = options.refreshIntervalMs;
    this.lockTtlMs = this.limits.timeoutMs + 5000;
  }

  get configured(): boolean {
    return this.sources.length > 0;
  }

  /** Loads the sources unless a fresh copy exists, then keeps checking. Never throws. */
  start(): void {
    if (!this.configured || this.first) return;
    this.first = this.refreshIfDue(true).catch((err: Error) => {
      this.logger.warn('playlist refresh failed', { error: err.message });
    });
    const every = Math.min(this.refreshIntervalMs, MAX_CHECK_INTERVAL_MS);
    const tick = () => {
      this.refreshIfDue(false)
        .catch((err: Error) => this.logger.warn('playlist refresh failed', { error: err.message }))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, every).unref();
        });
    };
    void this.first.then(() => {
      if (!this.closed) this.timer = setTimeout(tick, every).unref();
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The copy to serve; waits for the first load of this process. */
  async snapshot(): Promise<PlaylistSnapshot> {
    if (!this.configured) throw new NoPlaylistSourcesError();
    await this.first;
    const meta = await this.store.readMeta();
    if (!meta) throw new PlaylistUnavailableError('the playlist sources have not been loaded yet; try again shortly');
    if (this.cached?.refreshedAt !== meta.refreshedAt) {
      const playlist = await this.store.readMerged();
      if (!playlist) throw new PlaylistUnavailableError('the playlist copy is missing; it is rebuilt at the next refresh');
      this.cached = { refreshedAt: meta.refreshedAt, playlist };
    }
    if (this.cached.playlist.entries.length === 0 && meta.status.every((s) => !s.ok)) {
      const failures = meta.status.map((s) => `${s.source} (${s.error})`).join('; ');
      throw new PlaylistUnavailableError(`no playlist source has loaded yet: ${failures}`);
    }
    return { playlist: this.cached.playlist, meta };
  }

  /** Source status for /health (null when no sources are configured). */
  async health(): Promise<PlaylistHealth | null> {
    if (!this.configured) return null;
    const meta = await this.store.readMeta();
    return {
      sources:
        meta?.status ??
        this.sources.map((s) => ({ source: describeSource(s), ok: false, entries: 0, error: 'not loaded yet', loaded_at: null })),
      refreshed_at: meta ? new Date(meta.refreshedAt).toISOString() : null,
      refresh_interval_s: this.refreshIntervalMs / 1000,
    };
  }

  /**
   * Refreshes when the stored copy is older than the interval or was made from other sources.
   * With `waitForOthers`, a worker that finds the lock taken waits for that refresh to finish.
   */
  async refreshIfDue(waitForOthers: boolean): Promise<void> {
    // Past the lock's lifetime, so a holder that died mid-refresh is replaced, not waited out.
    const giveUpAt = Date.now() + this.lockTtlMs + 2 * LOCK_POLL_MS;
    for (;;) {
      if (!this.due(await this.store.readMeta())) return;
      const token = await this.store.lock(this.lockTtlMs);
      if (token) {
        try {
          // Another worker may have finished between the check and the lock.
          if (this.due(await this.store.readMeta())) await this.refresh();
        } finally {
          await this.store.unlock(token);
        }
        return;
      }
      if (!waitForOthers || Date.now() > giveUpAt || this.closed) return;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  private due(meta: PlaylistMeta | null): boolean {
    if (!meta) return true;
    if (meta.sources.length !== this.sources.length || meta.sources.some((s, i) => s !== this.sources[i])) return true;
    return Date.now() - meta.refreshedAt >= this.refreshIntervalMs;
  }

  /** Loads every source now; a failing one keeps its last good copy and is named in a warning. */
  async refresh(): Promise<PlaylistMeta> {
    const previous = await this.store.readMeta();
    const loaded = new Map<string, Playlist>();
    const copies: Playlist[] = [];
    const status = await Promise.all(
      this.sources.map(async (source, i): Promise<SourceStatus> => {
        const name = describeSource(source);
        try {
          const playlist = parsePlaylist(await loadSource(source, this.limits));
          loaded.set(source, playlist);
          copies[i] = playlist;
          return { source: name, ok: true, entries: playlist.entries.length, error: null, loaded_at: new Date().toISOString() };
        } catch (err) {
          const error = (err as Error).message.replace(`${name}: `, '');
          const lastGood = await this.store.readLastGood(source);
          if (lastGood) copies[i] = lastGood;
          const before = previous?.sources[i] === source ? previous.status[i] : undefined;
          this.logger.warn(
            lastGood ? 'playlist source failed; keeping its last good copy' : 'playlist source failed; it has no copy yet',
            { source: name, error },
          );
          return {
            source: name,
            ok: false,
            entries: lastGood?.entries.length ?? 0,
            error,
            loaded_at: lastGood ? (before?.loaded_at ?? null) : null,
          };
        }
      }),
    );
    const merged = mergePlaylists(copies.filter((c): c is Playlist => c !== undefined));
    const meta: PlaylistMeta = { refreshedAt: Date.now(), sources: [...this.sources], status };
    await this.store.write(meta, merged, loaded);
    this.logger.info('playlist refreshed', {
      entries: merged.entries.length,
      sources_ok: status.filter((s) => s.ok).length,
      sources_failed: status.filter((s) => !s.ok).length,
    });
    return meta;
  }
}
