// Cluster-mode names: every key and channel of one stream hashes to one slot; single-node names stay.

import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { describe, expect, it } from '@jest/globals';

const id = parseStreamId('a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
/** What Redis Cluster hashes: the first non-empty `{...}` of a name, else the whole name. */
const hashed = (name: string) => /\{([^}]+)\}/.exec(name)?.[1] ?? name;

const perStream = (keys: Keys) => [
  keys.metadata(id),
  keys.owner(id),
  keys.ownerEpoch(id),
  keys.bufferIndex(id),
  keys.chunk(id, 42),
  keys.clients(id),
  keys.client(id, 'c1'),
  keys.chunksChannel(id),
  keys.eventsChannel(id),
];

describe('Keys with hash tags (cluster mode)', () => {
  const keys = new Keys('ace_proxy', { hashTags: true });

  it('tags every per-stream key and channel with the stream id', () => {
    for (const name of perStream(keys)) expect(hashed(name)).toBe(id);
    expect(keys.metadata(id)).toBe(`ace_proxy:stream:{${id}}:metadata`);
    expect(keys.eventsChannel(id)).toBe(`ace_proxy:events:{${id}}`);
  });

  it('keeps keys read together across streams in one slot per kind', () => {
    expect(hashed(keys.engineStreams('10.0.0.1:6878'))).toBe(hashed(keys.enginePending('10.0.0.2:6878')));
    expect(hashed(keys.workerHeartbeat('a:1'))).toBe(hashed(keys.workerHeartbeat('b:2')));
    expect(hashed(`${keys.queuePrefix()}:orchestrator-events:wait`)).toBe('ace_proxy');
    // A worker refreshes the limits entries of every address it serves in one pipeline.
    expect(hashed(keys.addressConnections('10.0.0.1'))).toBe(hashed(keys.addressStarts('fd00::1')));
  });

  it("keeps users' durable keys in the {state} slot and one user's connections in a slot of its own", () => {
    for (const name of [keys.users(), keys.userTokens(), keys.usersVersion(), keys.stateSentinel(), keys.hlsSecret()]) {
      expect(hashed(name)).toBe('state');
    }
    expect(hashed(keys.userConnections('alice'))).toBe(hashed(keys.userConnectionStreams('alice')));
    expect(hashed(keys.userConnections('alice'))).toBe('user:alice');
    expect(hashed(keys.userConnections('bob'))).not.toBe(hashed(keys.userConnections('alice')));
  });

  it('recovers the stream id from a tagged name, and the metadata pattern still matches it', () => {
    expect(keys.streamIdOf(keys.metadata(id))).toBe(id);
    const pattern = new RegExp(`^${keys.metadataPattern().replace(/[{}]/g, '\\$&').replace('*', '.*')}$`);
    expect(pattern.test(keys.metadata(id))).toBe(true);
  });

  it('leaves single-node names exactly as the seed had them', () => {
    const plain = new Keys();
    for (const name of perStream(plain)) expect(name).not.toContain('{');
    expect(plain.engineStreams('h:1')).toBe('ace_proxy:engine:h:1:streams');
    expect(plain.workerHeartbeat('w:1')).toBe('ace_proxy:worker:w:1:heartbeat');
    expect(plain.queuePrefix()).toBe('ace_proxy');
  });
});
