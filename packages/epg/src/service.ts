// Keeps the guide fresh (one refresher per cluster, last good copies kept) and serves it to every worker.

import type { Writable } from 'node:stream';
import { describeSource, type Playlist, type PlaylistLogger } from '@acestream-proxy/playlist';
import { fingerprintOf, guideChannels, playlistGuideUrls } from './channels.js';
import { GuideUnavailableError, NoGuideSourcesError } from './errors.js';
import { ChannelMatcher, type GuideChannel } from './matcher.js';
import { refreshGuide } from './refresh.js';
import { type NowOn, nowOn } from './schedule.js';
import { writeStoredGuide } from './serve.js';
import type { GuideSourceLimits } from './source.js';
import type { GuideMeta, GuideSourceStatus, GuideStore } from './store.js';

/** The playlist copy in use, and its version (the refresh it came from), as the tuner numbers it. */
export interface GuidePlaylist {
  playlist: Playlist;
  version: number;
}

export interface GuideServiceOptions {
  /** EPG_SOURCES: http(s) URLs and files, merged first, in order. */
  sources: readonly string[];
  /** EPG_FROM_PLAYLISTS: also read the guides the playlists name (`url-tvg`, `x-tvg-url`). */
  fromPlaylists: boolean;
  /** The playlist copy in use; null when there is none (the guide is not refreshed then). */
  playlist: () => Promise<GuidePlaylist | null>;
  /** Stream id → GuideNumber of the playlist's channels (the tuner's lineup). */
  guideNumbers: (current: GuidePlaylist) => Promise<ReadonlyMap<string, string>>;
  refreshIntervalMs: number;
  store: GuideStore;
  logger: PlaylistLogger;
  limits: GuideSourceLimits;
  /** The refresh lock's lifetime, renewed at a third of it while a refresh runs (default 30 s; tests shorten it). */
  lockTtlMs?: number;
}

/** The guide in store when a request came: its version, and how to write it out. */
export interface StoredGuide {
  /** When the refresh that made it finished (epoch ms): a validator for HTTP caches. */
  refreshedAt: number;
  /** Gzip (one member) or unpacked; a failure mid-way destroys `out`. */
  write(out: Writable, options: { gzip: boolean }): Promise<void>;
}

/** What /health shows. */
export interface GuideHealth {
  /** The guide is stored and every source loaded at the last refresh. */
  ok: boolean;
  sources: GuideSourceStatus[];
  refreshed_at: string | null;
  refresh_interval_s: number;
  /** Why this worker's last refresh attempt did not run or finish, null when it did. */
  error: string | null;
}

interface Plan {
  sources: string[];
  channels: GuideChannel[];
  fingerprint: string;
}

/** How often a worker checks whether a refresh is due (and takes over one a dead worker missed). */
const MAX_CHECK_INTERVAL_MS = 60_000;
/** A changed channel list or source list is followed at most this often (a refresh reads every source). */
const MIN_REBUILD_MS = 10 * 60_000;
/** The refresh lock's lifetime, renewed at a third of it while the refresh runs (it may take minutes). */
const LOCK_TTL_MS = 30_000;

export class GuideService {
  private readonly options: GuideServiceOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private closed = false;
  private lastError: string | null = null;

  constructor(options: GuideServiceOptions) {
    this.options = options;
  }

  /** Refreshes now if due, then checks regularly. Never throws; failures go to the log and /health. */
  start(): void {
    if (this.timer || this.closed) return;
    const every = Math.min(this.options.refreshIntervalMs, MAX_CHECK_INTERVAL_MS);
    const tick = () => {
      this.running = this.refreshIfDue()
        .catch((err: Error) => {
          this.lastError = err.message;
          this.options.logger.warn('guide refresh failed', { error: err.message });
        })
        .finally(() => {
          this.running = null;
          if (!this.closed) this.timer = setTimeout(tick, every).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops checking and ends a refresh under way (nothing of it is switched in); waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort(new Error('the proxy is stopping'));
    await this.running;
  }

  /**
   * The stored guide, to be written to a response whose headers the caller sets from it. Rejects
   * with NoGuideSourcesError when no source is configured, GuideUnavailableError when no guide is
   * stored yet.
   */
  async open(): Promise<StoredGuide> {
    if (!(await this.configured())) throw new NoGuideSourcesError();
    const { store } = this.options;
    const meta = await store.readMeta();
    if (!meta) {
      throw new GuideUnavailableError(
        this.lastError
          ? `no guide is stored yet: ${this.lastError}`
          : 'no guide is stored yet: the first refresh of its sources is under way; see /health',
      );
    }
    return {
      refreshedAt: meta.refreshedAt,
      write: (out, options) => writeStoredGuide(store, meta, out, options.gzip),
    };
  }

  /**
   * Writes the stored guide to `out` (a response whose headers the caller set): gzip for
   * `/epg.xml.gz`, unpacked for `/epg.xml`. Rejects before writing anything when there is no
   * guide (see open()); a failure mid-way destroys `out`.
   */
  async writeGuide(out: Writable, options: { gzip: boolean }): Promise<void> {
    await (await this.open()).write(out, options);
  }

  /** The sources a guide is read from for `playlist`: EPG_SOURCES, then the guides it names. */
  sourcesFor(playlist: Playlist | null): string[] {
    const fromPlaylist = this.options.fromPlaylists && playlist ? playlistGuideUrls(playlist) : [];
    return [...new Set([...this.options.sources, ...fromPlaylist])];
  }

  /** True when there is a source to read: EPG_SOURCES, or a guide the playlist in use names. */
  async configured(): Promise<boolean> {
    if (this.options.sources.length > 0) return true;
    if (!this.options.fromPlaylists) return false;
    const current = await this.options.playlist();
    return current !== null && this.sourcesFor(current.playlist).length > 0;
  }

  /**
   * What each of `channels` (merged guide ids: the playlist's tvg-id, else `ace.<GuideNumber>`)
   * shows at `at`, from the first source that has it; channels with nothing on are left out.
   */
  async nowOn(channels: readonly string[], at = Date.now()): Promise<Map<string, NowOn>> {
    const found = new Map<string, NowOn>();
    const meta = channels.length > 0 ? await this.options.store.readMeta() : null;
    for (const part of meta?.parts.programmes ?? []) {
      const wanted = channels.filter((c) => !found.has(c));
      if (wanted.length === 0) break;
      for (const [channel, entries] of await this.options.store.readSchedule(part.id, wanted)) {
        const on = nowOn(entries, at);
        if (on) found.set(channel, on);
      }
    }
    return found;
  }

  async health(): Promise<GuideHealth> {
    const meta = await this.options.store.readMeta();
    const sources = meta?.status ?? this.options.sources.map((source) => notLoaded(describeSource(source)));
    return {
      ok: meta !== null && sources.every((s) => s.ok),
      sources,
      refreshed_at: meta ? new Date(meta.refreshedAt).toISOString() : null,
      refresh_interval_s: this.options.refreshIntervalMs / 1000,
      error: this.lastError,
    };
  }

  /**
   * Refreshes when the stored guide is older than the interval, or was made from other sources or
   * for other channels; only the worker holding the lock does, the others find it fresh later.
   */
  async refreshIfDue(): Promise<void> {
    const plan = await this.plan();
    if (!plan) {
      this.lastError = 'no playlist to filter the guide to yet';
      return;
    }
    // Nothing to read: /epg.xml answers 404 and the playlist names no guide.
    if (plan.sources.length === 0) return;
    const { store, logger, lockTtlMs = LOCK_TTL_MS } = this.options;
    if (!this.due(await store.readMeta(), plan)) return;
    const token = await store.lock(lockTtlMs);
    if (!token) return;
    const abort = new AbortController();
    this.abort = abort;
    const lost = (why: string) =>
      abort.abort(
        new Error(`the guide refresh lock was lost (${why}); nothing of this refresh is switched in, the next one retries`),
      );
    // The lock's end by this worker's clock, counted from before each renewal was sent: renewals that
    // fail (Redis away) must not let a refresh switch in a guide after another worker took the lock.
    let lapse = setTimeout(() => lost('not renewed in time'), lockTtlMs).unref();
    const renew = setInterval(() => {
      const sentAt = Date.now();
      store.renew(token, lockTtlMs).then(
        (held) => {
          if (!held) return lost('another worker holds it, or it expired');
          clearTimeout(lapse);
          lapse = setTimeout(() => lost('not renewed in time'), sentAt + lockTtlMs - Date.now()).unref();
        },
        (err: Error) => logger.warn('guide refresh lock renewal failed', { error: err.message }),
      );
    }, lockTtlMs / 3).unref();
    try {
      // Another worker may have finished between the check and the lock.
      if (this.due(await store.readMeta(), plan)) await this.refresh(plan, abort.signal);
      this.lastError = null;
    } finally {
      clearInterval(renew);
      clearTimeout(lapse);
      this.abort = null;
      // Not thrown: it would hide why the refresh ended, and the lock lapses by itself.
      await store.unlock(token).catch((err: Error) => logger.warn('guide refresh lock release failed', { error: err.message }));
    }
  }

  private async refresh(plan: Plan, signal: AbortSignal): Promise<GuideMeta> {
    const started = Date.now();
    const meta = await refreshGuide({
      sources: plan.sources,
      matcher: new ChannelMatcher(plan.channels),
      channelsFingerprint: plan.fingerprint,
      store: this.options.store,
      limits: this.options.limits,
      signal,
    });
    for (const failed of meta.status.filter((s) => !s.ok)) {
      this.options.logger.warn(
        failed.loaded_at ? 'guide source failed; keeping its last good copy' : 'guide source failed; it has no copy yet',
        { source: failed.source, error: failed.error },
      );
    }
    this.options.logger.info('guide refreshed', {
      channels: meta.status.reduce((n, s) => n + s.channels, 0),
      programmes: meta.status.reduce((n, s) => n + s.programmes, 0),
      sources_ok: meta.status.filter((s) => s.ok).length,
      sources_failed: meta.status.filter((s) => !s.ok).length,
      ms: Date.now() - started,
    });
    return meta;
  }

  private async plan(): Promise<Plan | null> {
    const current = await this.options.playlist();
    if (!current) return null;
    const channels = guideChannels(current.playlist, await this.options.guideNumbers(current));
    return { sources: this.sourcesFor(current.playlist), channels, fingerprint: fingerprintOf(channels) };
  }

  private due(meta: GuideMeta | null, plan: Plan): boolean {
    if (!meta) return true;
    const age = Date.now() - meta.refreshedAt;
    if (age >= this.options.refreshIntervalMs) return true;
    const changed =
      meta.channelsFingerprint !== plan.fingerprint ||
      meta.sources.length !== plan.sources.length ||
      meta.sources.some((s, i) => s !== plan.sources[i]);
    return changed && age >= Math.min(this.options.refreshIntervalMs, MIN_REBUILD_MS);
  }
}

function notLoaded(source: string): GuideSourceStatus {
  return { source, ok: false, error: 'not loaded yet', loaded_at: null, bytes: 0, channels: 0, programmes: 0 };
}
