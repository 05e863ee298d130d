// One worker's players of users: evictions end players here or elsewhere, ended HLS sessions stay
// ended on every worker, players a restarted store forgot come back when they fit.

import { MemoryAdmissionStore, type Principal, UserLimitError, type UserLimits } from '@acestream-proxy/accounts';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import { silentLogger } from '@acestream-proxy/stream';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, expect, it } from '@jest/globals';
import { PlayerEndedError, UserPlayers } from '../src/accounts/players.js';

const [ch1, ch2, ch3] = ['a1', 'b2', 'c3'].map((p) => parseStreamId(p.repeat(20))) as [StreamId, StreamId, StreamId];
const principal = (limits: UserLimits): Principal => ({
  user: { name: 'alice', enabled: true, expiresAt: null, limits, groups: [], createdAt: 0, source: 'api' },
  tokenHash: 'f'.repeat(64),
});

const running: UserPlayers[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.close();
});

/** A worker's UserPlayers on the shared store; `dropped` records players it asked other workers to end. */
function worker(admission: MemoryAdmissionStore) {
  const dropped: Array<[StreamId, string]> = [];
  const players = new UserPlayers({
    admission,
    dropClient: async (id, clientId) => {
      dropped.push([id, clientId]);
    },
    ttlMs: { ts: 10_000, hls: 10_000 },
    refreshMs: 50,
    logger: silentLogger,
  });
  running.push(players);
  return { players, dropped };
}

it('refuses over a limit under refuse, and under oldest ends the oldest here or asks its worker to', async () => {
  const admission = new MemoryAdmissionStore();
  const refusing = principal({ channels: 1, connections: 0, policy: 'refuse' });
  const a = worker(admission);
  await a.players.admit(refusing, 'tv', ch1, 'ts');
  await expect(a.players.admit(refusing, 'phone', ch2, 'ts')).rejects.toBeInstanceOf(UserLimitError);
  a.players.leave('alice', 'tv');

  const oldest = principal({ channels: 1, connections: 0, policy: 'oldest' });
  const ended: string[] = [];
  await a.players.admit(oldest, 'tv', ch1, 'ts');
  a.players.trackTs(oldest, 'tv', ch1, () => ended.push('tv'));
  const b = worker(admission);
  await b.players.admit(oldest, 'phone', ch2, 'ts');
  // The evicted player is on worker a: worker b asks through the stream's channel.
  expect(b.dropped).toEqual([[ch1, 'tv']]);
  await a.players.admit(oldest, 'radio', ch3, 'ts');
  expect(a.dropped).toEqual([[ch2, 'phone']]);
  // And worker a's own refresh ends its evicted player even if that message was lost.
  await waitFor(() => ended.length > 0, { what: "worker a's evicted player ended by its refresh", timeoutMs: 2000 });
});

it('keeps an ended HLS session ended on a worker that never served it', async () => {
  const admission = new MemoryAdmissionStore();
  const who = principal({ channels: 0, connections: 1, policy: 'oldest' });
  const a = worker(admission);
  const b = worker(admission);
  await a.players.startHls(who, 'session-1', ch1);
  await b.players.hlsRequest(who, 'session-1', ch1);
  // A new player takes the only connection: the session is ended, on a, on b, and on a third worker.
  await a.players.admit(who, 'tv', ch2, 'ts');
  await expect(a.players.hlsRequest(who, 'session-1', ch1)).rejects.toBeInstanceOf(PlayerEndedError);
  await waitFor(
    async () =>
      b.players.hlsRequest(who, 'session-1', ch1).then(
        () => false,
        (err) => err instanceof PlayerEndedError,
      ),
    {
      what: "worker b's refresh to end the session",
      timeoutMs: 2000,
    },
  );
  await expect(worker(admission).players.hlsRequest(who, 'session-1', ch1)).rejects.toBeInstanceOf(PlayerEndedError);
});

it('admits again a player the store forgot (a Redis that came back empty), without ending it', async () => {
  const admission = new MemoryAdmissionStore();
  const who = principal({ channels: 1, connections: 0, policy: 'refuse' });
  const a = worker(admission);
  const ended: string[] = [];
  await a.players.admit(who, 'tv', ch1, 'ts');
  a.players.trackTs(who, 'tv', ch1, () => ended.push('tv'));
  await admission.release('alice', 'tv');
  await waitFor(async () => (await admission.connections('alice')).length === 1, {
    what: 'the forgotten player admitted again by the refresh',
    timeoutMs: 2000,
  });
  expect(ended).toEqual([]);
  await expect(a.players.admit(who, 'phone', ch2, 'ts')).rejects.toBeInstanceOf(UserLimitError);
});
