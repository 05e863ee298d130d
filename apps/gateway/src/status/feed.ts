// What the status page shows, built once per second per worker while anyone watches, and pushed
// to every watcher of that worker as one server-sent event (the same string for all).

import type { ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { describeStream, type StreamView } from '../views/stream.js';
import { describeUsers, type UserView } from '../views/users.js';
import { type ChannelLabel, ChannelLabels } from './channels.js';
import type { EventLog, LogEntry } from './event-log.js';
import { Watchers } from './watchers.js';

/** Points of a stream's throughput sparkline (one per owner report: ~2 min at 2 s). */
const HISTORY = 60;
/** Samples closer than this (a watcher's first tick beside the timer's) would make a noisy rate. */
const MIN_SAMPLE_MS = 500;
/**
 * Players listed per stream (oldest first; `client_count` counts all): a screen's worth, so a
 * thousand sessions cannot make every snapshot megabytes. The page says how many more there are.
 */
export const PLAYERS_SHOWN = 50;
/** A watcher that has not read its last snapshot for this long is dropped (Watchers). */
export const WATCHER_STALL_MS = 5000;

export interface StreamStatus extends StreamView {
  /** Bits per second read from the engine, latest, or null before two samples. */
  bitrate_in: number | null;
  /** [epoch seconds, bits per second] pairs, oldest first. */
  throughput: Array<[number, number]>;
  /** PROXY_FLUSH_INTERVAL_MS: a lag in chunks is about this many ms each. */
  chunk_ms: number;
  /** The playlists' name and logo, the GuideNumber and what is on now; null for an id no playlist lists. */
  channel: ChannelLabel | null;
}

export interface StatusSnapshot {
  at: number;
  /** The worker that answered. */
  worker: string;
  streams: StreamStatus[];
  log: LogEntry[];
  /** AUTH=token: the users, with what they watch now (left out with AUTH=none). */
  users?: UserView[];
  users_total?: number;
}

interface Sampled {
  last: { bytes: number; at: number };
  points: Array<[number, number]>;
}

export class StatusFeed {
  private readonly watchers = new Watchers(WATCHER_STALL_MS);
  private readonly samples = new Map<string, Sampled>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private readonly labels: ChannelLabels;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly log: EventLog,
    private readonly intervalMs = 1000,
  ) {
    this.labels = new ChannelLabels(ctx);
  }

  /** Sends the current view at once, then every interval until the response closes. */
  watch(res: ServerResponse): void {
    this.watchers.add(res, () => {
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    void this.tick();
  }

  async snapshot(): Promise<StatusSnapshot> {
    const { ctx } = this;
    const [ids, bytes, log, users] = await Promise.all([
      ctx.metadata.list(),
      ctx.metrics.engineBytes(),
      this.log.recent(),
      ctx.accounts ? describeUsers(ctx.accounts) : null,
    ]);
    // Without engine sessions: with AUTH=none the page is public (and EventSource cannot send a
    // key); with AUTH=token the read key's operators watch it too.
    const described = (await Promise.all(ids.map((id) => describeStream(ctx, id, { maxClients: PLAYERS_SHOWN })))).filter(
      (s) => s !== null,
    );
    // Names are a nicety: a playlist that cannot be read leaves the ids, never the page, empty.
    const labels = await this.labels.of(described.map((s) => s.id)).catch(() => new Map<string, ChannelLabel>());
    const streams = described
      .map((s) => ({
        ...s,
        ...this.throughput(s.id, bytes.get(s.id)),
        chunk_ms: ctx.config.flushIntervalMs,
        channel: labels.get(s.id) ?? null,
      }))
      .sort((a, b) => (a.started_at ?? 0) - (b.started_at ?? 0) || a.id.localeCompare(b.id));
    for (const id of this.samples.keys()) if (!ids.includes(id as (typeof ids)[number])) this.samples.delete(id);
    return { at: Date.now(), worker: ctx.workerId, streams, log, ...(users ?? {}) };
  }

  // A new point whenever the owner's byte count is newer than the last one used.
  private throughput(id: string, sample: { bytes: number; at: number } | undefined) {
    let sampled = this.samples.get(id);
    if (sample && !sampled) {
      sampled = { last: sample, points: [] };
      this.samples.set(id, sampled);
    } else if (sample && sampled && sample.at - sampled.last.at >= MIN_SAMPLE_MS) {
      const bps =
        sample.bytes >= sampled.last.bytes ? ((sample.bytes - sampled.last.bytes) * 8000) / (sample.at - sampled.last.at) : 0;
      sampled.points.push([sample.at / 1000, Math.round(bps)]);
      if (sampled.points.length > HISTORY) sampled.points.shift();
      sampled.last = sample;
    }
    const points = sampled?.points ?? [];
    return { bitrate_in: points.at(-1)?.[1] ?? null, throughput: [...points] };
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.watchers.size === 0) return;
    this.ticking = true;
    try {
      this.watchers.send(`event: snapshot\ndata: ${JSON.stringify(await this.snapshot())}\n\n`);
    } catch (err) {
      this.watchers.send(`event: trouble\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
    } finally {
      this.ticking = false;
    }
  }
}
