// Embedded mode: one process, the in-memory twins of every backend.

import { MemoryAdmissionStore, MemoryUserStore } from '@acestream-proxy/accounts';
import { MemoryChunkStore } from '@acestream-proxy/buffer';
import { MemoryClientRegistry } from '@acestream-proxy/clients';
import { MemoryEventBus, MemoryOwnerElection, MemoryWorkerPresence } from '@acestream-proxy/coordination';
import { MemoryEngineLoad } from '@acestream-proxy/engine';
import { MemoryGuideStore } from '@acestream-proxy/epg';
import { MemorySegmentStore } from '@acestream-proxy/hls';
import { Keys } from '@acestream-proxy/keys';
import { MemoryEventQueue } from '@acestream-proxy/orchestrator';
import { MemoryPlaylistStore } from '@acestream-proxy/playlist';
import { MemorySentinelStore, MemoryWriteOnce } from '@acestream-proxy/state';
import { MemoryMetadataStore } from '@acestream-proxy/stream';
import { MemoryGuideNumberStore } from '@acestream-proxy/tuner';
import { MemoryAuthFailures } from '../auth/failures.js';
import { MemoryOperatorSessions } from '../auth/sessions.js';
import { MemoryLimitStore } from '../limits/store.js';
import { LocalMetrics } from '../metrics/host-metrics.js';
import { MemoryEventLog } from '../status/event-log.js';
import type { BackendSettings, Backends } from './types.js';

export function memoryBackends(prefix: string, settings: BackendSettings): Backends {
  const store = new MemoryChunkStore(settings.bufferTtl);
  const metadata = new MemoryMetadataStore();
  const segments = new MemorySegmentStore(settings.hlsKeep);
  return {
    mode: 'embedded',
    keys: new Keys(prefix),
    store,
    metadata,
    segments,
    reads: { store, metadata, segments },
    registry: new MemoryClientRegistry(),
    election: new MemoryOwnerElection(settings.ownerTtlMs),
    bus: new MemoryEventBus(),
    presence: new MemoryWorkerPresence(),
    engineLoad: new MemoryEngineLoad(),
    eventQueue: (client, retry) => new MemoryEventQueue(client, retry),
    metrics: (local) => new LocalMetrics(local),
    eventLog: new MemoryEventLog(settings.workerId),
    playlistStore: new MemoryPlaylistStore(),
    guideStore: new MemoryGuideStore(),
    limits: new MemoryLimitStore(),
    operatorSessions: new MemoryOperatorSessions(),
    authFailures: new MemoryAuthFailures(),
    guideNumbers: new MemoryGuideNumberStore(),
    users: new MemoryUserStore(),
    admission: new MemoryAdmissionStore(),
    durable: { sentinel: new MemorySentinelStore(), hlsSecret: new MemoryWriteOnce(), describe: 'memory' },
    healthy: async () => true,
    ready: () => true,
    close: async () => {},
  };
}
