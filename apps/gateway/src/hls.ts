// The gateway's HLS wiring for one worker (@acestream-proxy/hls does the work): the segment
// cache, the player sessions and their signed ids, the owner's segment recorders.

import type { ChunkStore } from '@acestream-proxy/buffer';
import type { ClientRegistry } from '@acestream-proxy/clients';
import type { ProxyConfig } from '@acestream-proxy/config';
import {
  HlsSessionIds,
  HlsSessions,
  SegmentCache,
  SegmentRecorder,
  type SegmentStore,
  type SessionSlots,
  type SessionStreams,
} from '@acestream-proxy/hls';
import type { ChunkObservers, Logger } from '@acestream-proxy/stream';

export interface HlsService {
  cache: SegmentCache;
  sessions: HlsSessions;
  /** Issues and verifies session ids (signed: a made-up one starts nothing). */
  ids: HlsSessionIds;
  close(): void;
}

/** Records kept per stream: the playlist window, and as many behind it for players that lag. */
export function keptSegments(config: ProxyConfig): number {
  return 2 * config.hlsWindow + 2;
}

/** The owner side: one segment recorder per ownership of a stream. */
export function hlsRecorders(config: ProxyConfig, store: SegmentStore, logger: Logger): ChunkObservers {
  return {
    create: (id, fence) =>
      new SegmentRecorder({
        id,
        store,
        fence,
        targetMs: config.hlsTargetDuration * 1000,
        onError: (err) => logger.warn('hls segment record failed', { stream_id: id, error: err.message }),
      }),
    drop: (id) => store.drop(id),
  };
}

export function createHlsService(
  config: ProxyConfig,
  reads: { segments: SegmentStore; chunks: ChunkStore },
  players: { streams: SessionStreams; registry: ClientRegistry; limits: SessionSlots; secret: () => Buffer },
  workerId: string,
  logger: Logger,
): HlsService {
  const targetMs = config.hlsTargetDuration * 1000;
  const ttlMs = config.bufferTtl * 1000;
  // A listed segment must stay fetchable while players work through the window after it.
  const margin = (config.hlsWindow + 2) * targetMs;
  const cache = new SegmentCache({
    segments: reads.segments,
    chunks: reads.chunks,
    window: config.hlsWindow,
    // Well under a target duration: a new segment is listed within this of being recorded.
    listMaxAgeMs: Math.min(250, targetMs / 4),
    listableMs: ttlMs > 2 * margin ? ttlMs - margin : ttlMs / 2,
    idleMs: 30_000,
  });
  const sessions = new HlsSessions({
    streams: players.streams,
    registry: players.registry,
    limits: players.limits,
    workerId,
    timeoutMs: 4 * targetMs,
    flushMs: targetMs / 2,
    logger,
  });
  return {
    cache,
    sessions,
    ids: new HlsSessionIds(players.secret),
    close() {
      cache.close();
      sessions.close();
    },
  };
}
