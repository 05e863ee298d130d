// One refresh of the guide: every source filtered into a copy of its own, then one atomic switch.

import { Writable } from 'node:stream';
import { describeSource } from '@acestream-proxy/playlist';
import { filterGuide } from './filter.js';
import type { ChannelMatcher } from './matcher.js';
import { createPart, type PartSink } from './parts.js';
import { ScheduleCollector } from './schedule.js';
import { type GuideSourceLimits, openGuideSource } from './source.js';
import type { GuideMeta, GuideSourceStatus, GuideStore, SourceCopy } from './store.js';

/** Channels of the schedule written at once. */
const SCHEDULE_BATCH_CHANNELS = 100;
/** A source's error as /health shows it: long enough to act on, short enough for a status page. */
const ERROR_CHARS = 300;

export interface RefreshPlan {
  /** Every source, in merge order: EPG_SOURCES, then the playlists' url-tvg. */
  sources: readonly string[];
  matcher: ChannelMatcher;
  channelsFingerprint: string;
  store: GuideStore;
  limits: GuideSourceLimits;
  /** Aborted when the refresh lock is lost: nothing is switched then. */
  signal: AbortSignal;
}

/**
 * Sources are read one after another (a refresh is background work: one parse at a time keeps
 * its CPU and memory bounded); a failing source keeps its last good copy. Channels are merged in
 * source order, each id once; programmes of every source are kept. The new guide replaces the
 * old in one write; parts the old one used are deleted a refresh later (players may still read them).
 */
export async function refreshGuide(plan: RefreshPlan): Promise<GuideMeta> {
  const { store } = plan;
  const previous = await store.readMeta();
  const copies = await store.readCopies();
  const fresh = new Map<string, SourceCopy>();
  const status: GuideSourceStatus[] = [];
  const inUse: SourceCopy[] = [];
  for (const source of plan.sources) {
    plan.signal.throwIfAborted();
    const name = describeSource(source);
    const before = previous?.status[previous.sources.indexOf(source)];
    try {
      const { copy, bytes, programmes } = await loadCopy(source, plan);
      fresh.set(source, copy);
      inUse.push(copy);
      status.push({
        source: name,
        ok: true,
        error: null,
        loaded_at: new Date().toISOString(),
        bytes,
        channels: copy.channels.length,
        programmes,
      });
    } catch (err) {
      const error = (err as Error).message.replace(`${name}: `, '').slice(0, ERROR_CHARS);
      const lastGood = copies.get(source);
      if (lastGood) inUse.push(lastGood);
      status.push({
        source: name,
        ok: false,
        error,
        loaded_at: lastGood ? (before?.loaded_at ?? null) : null,
        bytes: lastGood ? (before?.bytes ?? 0) : 0,
        channels: lastGood?.channels.length ?? 0,
        programmes: lastGood ? (before?.programmes ?? 0) : 0,
      });
    }
  }
  const channels = await writeChannels(store, inUse);
  const dropped = [...copies.keys()].filter((source) => !plan.sources.includes(source));
  // Whatever the previous guide used and this one does not: its channels, replaced copies, dropped sources.
  const retired = [
    ...(previous ? [previous.parts.channels.id] : []),
    ...[...copies].filter(([source]) => fresh.has(source) || dropped.includes(source)).map(([, copy]) => copy.programmes.id),
  ];
  const meta: GuideMeta = {
    refreshedAt: Date.now(),
    sources: [...plan.sources],
    channelsFingerprint: plan.channelsFingerprint,
    status,
    parts: { channels, programmes: inUse.map((copy) => copy.programmes) },
    retired,
  };
  try {
    plan.signal.throwIfAborted();
    await store.write(meta, fresh, dropped);
  } catch (err) {
    await store.deleteParts([channels.id, ...[...fresh.values()].map((copy) => copy.programmes.id)]);
    throw err;
  }
  // Two refreshes old: no player reads them any more.
  await store.deleteParts(previous?.retired ?? []);
  return meta;
}

async function loadCopy(source: string, plan: RefreshPlan): Promise<{ copy: SourceCopy; bytes: number; programmes: number }> {
  const channels: Array<[string, string]> = [];
  const collector = new Writable({
    decodeStrings: false,
    write(element: string, _encoding, done) {
      channels.push([/^<channel id="([^"]*)">/.exec(element)?.[1] ?? '', element]);
      done();
    },
  });
  const part = createPart(plan.store);
  const schedule = new ScheduleCollector(Date.now());
  try {
    const opened = await openGuideSource(source, plan.limits);
    // A refresh that must stop (lock lost, proxy stopping) stops mid-source, not at its end.
    const stop = () => opened.xml.destroy(plan.signal.reason as Error);
    plan.signal.addEventListener('abort', stop, { once: true });
    const result = await filterGuide(
      opened.xml,
      plan.matcher,
      {
        channels: collector,
        programmes: part.sink,
        onProgramme: (channel, start, stop, title) => schedule.add(channel, start, stop, title),
      },
      new Set(),
    ).finally(() => plan.signal.removeEventListener('abort', stop));
    part.sink.end();
    const programmes = await part.done;
    for (const batch of schedule.batches(SCHEDULE_BATCH_CHANNELS)) await plan.store.writeSchedule(part.id, batch);
    return { copy: { channels, programmes }, bytes: opened.received(), programmes: result.programmes };
  } catch (err) {
    part.sink.destroy();
    await part.done.catch(() => {});
    await plan.store.deleteParts([part.id]).catch(() => {});
    throw err;
  }
}

/** The merged `<channel>` elements as a part: sources in order, each merged id once. */
async function writeChannels(store: GuideStore, copies: readonly SourceCopy[]) {
  const part: PartSink = createPart(store);
  const seen = new Set<string>();
  for (const copy of copies) {
    for (const [id, element] of copy.channels) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (!part.sink.write(element)) await new Promise((resolve) => part.sink.once('drain', resolve));
    }
  }
  part.sink.end();
  return part.done;
}
