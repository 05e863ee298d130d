// The owner's copy of a stream's state in the metadata hash: state, engine, session, engine stats.

import type { EngineClient, EngineSession } from '@acestream-proxy/engine';
import type { StreamId } from '@acestream-proxy/keys';
import type { Logger } from '../logger.js';
import type { MetadataStore, StreamMetadata, StreamState } from '../metadata.js';

export class MetadataMirror {
  state: StreamState = 'initializing';
  /** Set when reading ended for good: later state changes must not write the hash back. */
  private ended = false;

  constructor(
    private readonly id: StreamId,
    private readonly metadata: MetadataStore,
    private readonly logger: Logger,
  ) {}

  /** Writes `fields`; rejects when the store does (callers that must know, like a start). */
  write(fields: StreamMetadata): Promise<void> {
    return this.metadata.update(this.id, fields);
  }

  /** Moves to `state` (with `extra` fields); a failed write is logged, the stream goes on. */
  async setState(state: StreamState, extra: Record<string, string> = {}): Promise<void> {
    if (this.ended) return;
    this.state = state;
    try {
      await this.metadata.update(this.id, { state, ...extra });
    } catch (err) {
      this.logger.warn('metadata update failed', { stream_id: this.id, state, error: (err as Error).message });
    }
  }

  /** Reading ended: the state is final, and nothing more is written. */
  end(state: 'error' | 'stopping'): void {
    this.ended = true;
    this.state = state;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Peers and speed from the engine's stat_url, with the bytes read so far; a failed poll is only a debug line. */
  async pollStat(engine: EngineClient, session: EngineSession | null, totalBytes: number, signal: AbortSignal): Promise<void> {
    if (!session || this.state !== 'active') return;
    try {
      const stat = await engine.stat(session, signal);
      await this.metadata.update(this.id, {
        peers: String(stat.peers),
        speed_down: String(stat.speedDown),
        total_bytes: String(totalBytes),
      });
    } catch (err) {
      this.logger.debug('stat poll failed', { stream_id: this.id, error: (err as Error).message });
    }
  }
}

export function engineFields(engine: EngineClient): Record<string, string> {
  const { host, port } = engine.address;
  return { engine_host: host, engine_port: String(port), engine_id: `${host}:${port}` };
}

export function sessionFields(session: EngineSession): Record<string, string> {
  return {
    playback_url: session.playbackUrl,
    stat_url: session.statUrl,
    command_url: session.commandUrl,
    playback_session_id: session.playbackSessionId,
    is_live: session.isLive ? '1' : '0',
  };
}
