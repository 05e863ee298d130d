// Forgetting a stopped stream's epoch must not take the token of a worker that claimed it since.

import { MemoryOwnerElection, type OwnerElection, RedisOwnerElection } from '@acestream-proxy/coordination';
import { Keys, parseStreamId } from '@acestream-proxy/keys';
import { testRedis } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';

const id = parseStreamId('dddddddddddddddddddddddddddddddddddddd01');

async function releaseThenClaimThenDrop(election: OwnerElection): Promise<void> {
  const stopping = await election.claim(id, 'host:a');
  await election.release(id, stopping!);
  // Another worker's player arrives between the old owner's release and its drop.
  const next = await election.claim(id, 'host:b');
  await election.drop(id);
  expect(await election.renew(id, next!)).toBe(true);
  await election.release(id, next!);
  await election.drop(id);
  const again = await election.claim(id, 'host:c');
  expect(again!.epoch).toBe(1);
}

describe('OwnerElection.drop', () => {
  it('Redis: keeps the epoch while the stream has an owner again', async () => {
    const t = await testRedis('drop');
    try {
      await releaseThenClaimThenDrop(new RedisOwnerElection(t.redis, new Keys(t.prefix), 5000));
    } finally {
      await t.cleanup();
    }
  });

  it('memory: the same', async () => {
    await releaseThenClaimThenDrop(new MemoryOwnerElection(5000));
  });
});
