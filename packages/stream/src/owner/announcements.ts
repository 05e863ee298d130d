// What the orchestrator hears of this worker's engine sessions: stream_started and stream_ended, never blocking a stream.

import type { EngineAddress, EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { EventQueue } from '@acestream-proxy/orchestrator';
import type { Logger } from '../logger.js';
import type { MetadataStore } from '../metadata.js';

export interface StartedSession {
  id: StreamId;
  /** This ownership's stream session as the orchestrator knows it (stream id + epoch). */
  key: string;
  address: EngineAddress;
  containerId: string;
  session: EngineSession;
  /** The session a previous owner left (after a takeover): the orchestrator hears its end first. */
  previousKey?: string;
  previousContainer?: string;
}

export class SessionAnnouncer {
  constructor(
    private readonly events: EventQueue,
    private readonly metadata: MetadataStore,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  /** Queues stream_started (and the previous owner's stream_ended); a failure is logged, the stream runs on. */
  async started(s: StartedSession): Promise<void> {
    try {
      if (s.previousKey && s.previousKey !== s.key) {
        await this.events.ended(s.previousKey, {
          container_id: s.previousContainer ?? '',
          stream_id: s.previousKey,
          reason: 'error',
        });
      }
      await this.metadata.update(s.id, { session_key: s.key });
      await this.events.started(s.key, {
        container_id: s.containerId,
        engine: { host: s.address.host, port: s.address.port },
        stream: { key_type: 'infohash', key: s.id },
        session: {
          playback_session_id: s.session.playbackSessionId,
          stat_url: s.session.statUrl,
          command_url: s.session.commandUrl,
          is_live: s.session.isLive ? 1 : 0,
        },
        labels: { source: 'proxy', worker_id: this.workerId, stream_id: s.key },
      });
    } catch (err) {
      this.logger.warn('could not queue stream_started', { stream_id: s.id, error: (err as Error).message });
    }
  }

  /** Queues stream_ended; a failure is logged. */
  async ended(id: StreamId, key: string, containerId: string, reason: 'normal' | 'error' | 'stopped'): Promise<void> {
    await this.events
      .ended(key, { container_id: containerId, stream_id: key, reason })
      .catch((err: Error) => this.logger.warn('could not queue stream_ended', { stream_id: id, error: err.message }));
  }
}
