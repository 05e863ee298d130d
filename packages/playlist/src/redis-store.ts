// The merged playlist in Redis, so every worker and host serves the copy one of them refreshed.

import { randomUUID } from 'node:crypto';
import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';
import type { Playlist } from './m3u.js';
import type { PlaylistMeta, PlaylistStore } from './store.js';

const COMMANDS = new URL('../src/commands/', import.meta.url);

type UnlockCommand = (lock: string, token: string) => Promise<number>;

export interface RedisPlaylistStoreOptions {
  /** Reads (on the request path: fails fast when Redis is away). */
  reads: Redis;
  /** Writes and the lock (the refresher's background connection). */
  writes: Redis;
  keys: Keys;
}

/**
 * Copies live without expiry: a proxy restarted while every source is down still serves the
 * last good copy. Meta and copy are separate keys so the freshness check reads a few hundred bytes.
 */
export class RedisPlaylistStore implements PlaylistStore {
  private readonly reads: Redis;
  private readonly writes: Redis;
  private readonly keys: Keys;
  private readonly unlockCommand: UnlockCommand;

  constructor(options: RedisPlaylistStoreOptions) {
    ({ reads: this.reads, writes: this.writes, keys: this.keys } = options);
    this.unlockCommand = defineScripts<{ acePlaylistUnlock: UnlockCommand }>(this.writes, COMMANDS, {
      acePlaylistUnlock: 'unlock-1',
    }).acePlaylistUnlock;
  }

  async readMeta(): Promise<PlaylistMeta | null> {
    return parse<PlaylistMeta>(await this.reads.get(this.keys.playlistMeta()));
  }
  async readMerged(): Promise<Playlist | null> {
    return parse<Playlist>(await this.reads.get(this.keys.playlistMerged()));
  }
  async readLastGood(source: string): Promise<Playlist | null> {
    return parse<Playlist>(await this.writes.hget(this.keys.playlistSources(), source));
  }
  async write(meta: PlaylistMeta, merged: Playlist, loaded: ReadonlyMap<string, Playlist>): Promise<void> {
    const tx = this.writes.multi();
    for (const [source, playlist] of loaded) tx.hset(this.keys.playlistSources(), source, JSON.stringify(playlist));
    tx.set(this.keys.playlistMerged(), JSON.stringify(merged));
    // Meta last: a reader that sees the new meta finds the new copy.
    tx.set(this.keys.playlistMeta(), JSON.stringify(meta));
    await tx.exec();
  }
  async lock(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const won = await this.writes.set(this.keys.playlistRefreshLock(), token, 'PX', ttlMs, 'NX');
    return won === 'OK' ? token : null;
  }
  async unlock(token: string): Promise<void> {
    await this.unlockCommand(this.keys.playlistRefreshLock(), token);
  }
}

function parse<T>(raw: string | null): T | null {
  return raw === null ? null : (JSON.parse(raw) as T);
}
