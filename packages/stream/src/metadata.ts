// Stream metadata (state, owner, engine session, counters) as the hash of DESIGN §4, and its twin.

import type { Keys, StreamId } from '@acestream-proxy/keys';
import { type Redis, scanKeys } from '@acestream-proxy/redis';

export type StreamState = 'initializing' | 'connecting' | 'buffering' | 'active' | 'stopping' | 'stopped' | 'error';

/** Field names as stored (snake_case, as the seed's operators know them). */
export interface StreamMetadata {
  state?: StreamState;
  owner?: string;
  engine_host?: string;
  engine_port?: string;
  engine_id?: string;
  playback_url?: string;
  stat_url?: string;
  command_url?: string;
  playback_session_id?: string;
  is_live?: string;
  bitrate?: string;
  total_bytes?: string;
  started_at?: string;
  error_message?: string;
  /** EngineError code of a failed stream, so followers answer with the same status. */
  error_code?: string;
  /** The stream session the orchestrator was told about (stream id + ownership epoch). */
  session_key?: string;
  peers?: string;
  speed_down?: string;
}

export interface MetadataStore {
  update(id: StreamId, fields: StreamMetadata): Promise<void>;
  get(id: StreamId): Promise<StreamMetadata | null>;
  /** Ids of every stream that has metadata. */
  list(): Promise<StreamId[]>;
  drop(id: StreamId): Promise<void>;
}

export class RedisMetadataStore implements MetadataStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async update(id: StreamId, fields: StreamMetadata): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length > 0) await this.redis.hset(this.keys.metadata(id), Object.fromEntries(entries));
  }

  async get(id: StreamId): Promise<StreamMetadata | null> {
    const hash = await this.redis.hgetall(this.keys.metadata(id));
    return Object.keys(hash).length === 0 ? null : (hash as StreamMetadata);
  }

  async list(): Promise<StreamId[]> {
    // A Set: SCAN may return a key twice. On a cluster this scans every master.
    const ids = new Set<StreamId>();
    for await (const found of scanKeys(this.redis, this.keys.metadataPattern())) {
      for (const key of found) {
        const id = this.keys.streamIdOf(key);
        if (id) ids.add(id as StreamId);
      }
    }
    return [...ids];
  }

  async drop(id: StreamId): Promise<void> {
    await this.redis.unlink(this.keys.metadata(id));
  }
}

export class MemoryMetadataStore implements MetadataStore {
  private readonly streams = new Map<StreamId, StreamMetadata>();

  async update(id: StreamId, fields: StreamMetadata): Promise<void> {
    const current = this.streams.get(id) ?? {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (current as Record<string, string>)[k] = v;
    this.streams.set(id, current);
  }

  async get(id: StreamId): Promise<StreamMetadata | null> {
    const m = this.streams.get(id);
    return m ? { ...m } : null;
  }

  async list(): Promise<StreamId[]> {
    return [...this.streams.keys()];
  }

  async drop(id: StreamId): Promise<void> {
    this.streams.delete(id);
  }
}
