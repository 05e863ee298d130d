// A Redis Cluster under a partition (network namespaces): one master's host cut from every other host, its replica promoted, its streams' players resume.

import { createHash } from 'node:crypto';
import { keySlot, type LabStack, labStack, netLabUnavailable, waitFor } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';
import { FollowingPlayer, labPerSuite } from './net-helpers.js';

const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;

/** Channels, one player each: enough that every master serves some. */
const CHANNELS = 6;

suite(`a Redis Cluster master cut from the rest${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let stack: LabStack;
  const players: FollowingPlayer[] = [];

  // A 1 s cluster-node-timeout: Redis promotes the replica ~2-3 s after the cut, and the
  // proxy's own part (new slot map, appends and reads on the new master) follows within 1 s.
  labPerSuite(
    async () =>
      (stack = await labStack({
        gateways: 2,
        sims: 1,
        cluster: true,
        clusterNodeTimeoutMs: 1000,
        env: { ENGINE_MAX_STREAMS: String(CHANNELS) },
      })),
    () => players,
  );

  it('its replica is promoted and the players of its streams resume within 5 s on the healthy side; the others never stop', async () => {
    const cluster = stack.cluster!;
    // SHA-1 hex ids: slots spread over the masters (ids alike, such as 1c1c.. and 2c2c.., share a range).
    const ids = Array.from({ length: CHANNELS }, (_, i) => createHash('sha1').update(`net-cluster-${i}`).digest('hex'));
    for (const id of ids) {
      const player = new FollowingPlayer(stack.streamUrl(id));
      players.push(player);
      await waitFor(() => player.probes.length > 0, { what: `a player of ${id} receiving`, timeoutMs: 15_000 });
    }
    const masters = await Promise.all(ids.map((id) => cluster.masterOf(keySlot(`{${id}}`))));
    const victim = masters[0]!;
    const onShard = ids.map((_, i) => masters[i] === victim);
    const healthy = cluster.nodes.find((n) => n !== victim)!;

    const cutAt = Date.now();
    for (const other of stack.lab.hosts.values()) if (other !== victim.host) await stack.lab.partition(victim.host, other);

    // A replica of the cut master's slots is promoted, as the healthy side sees it.
    await waitFor(async () => (await cluster.masterOf(keySlot(`{${ids[0]}}`), healthy).catch(() => victim)) !== victim, {
      what: "the cut master's replica promoted",
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const promotedMs = Date.now() - cutAt;
    const promotedAt = Date.now();
    await waitFor(() => players.every((p) => p.firstSentAfter(cutAt + 500) !== null), {
      what: 'every player receiving data sent after the cut',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const now = Date.now();
    const gaps = players.map((p) => Math.round(p.longestGap(cutAt, Math.min(now, cutAt + 15_000))));
    // From the promotion to the first data of the cut shard's players: the proxy's own part.
    const afterPromotion = players.filter((_, i) => onShard[i]).map((p) => p.firstSentAfter(cutAt + 500)! - promotedAt);
    process.stderr.write(
      `net cluster: replica promoted after ${promotedMs} ms, the shard's players receiving ${afterPromotion.join('/')} ms after that; longest gap of the cut shard's players ${gaps.filter((_, i) => onShard[i]).join('/')} ms, of the others ${gaps.filter((_, i) => !onShard[i]).join('/')} ms\n`,
    );
    for (const [i, p] of players.entries()) {
      expect(p.ends).toEqual([]);
      if (onShard[i]) expect(gaps[i]).toBeLessThanOrEqual(5000);
    }
  });
});
