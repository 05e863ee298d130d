// Forgetting a stopped stream's epoch must not take the token of a worker that claimed it since.

import { MemoryOwnerElection, type OwnerElection, RedisOwnerElection } from '@acestream-proxy/coordination';
import { parseStreamId } from '@acestream-proxy/keys';
import { backendSuite } from '@acestream-proxy/test-utils';
import { beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('dddddddddddddddddddddddddddddddddddddd01');

backendSuite('OwnerElection.drop', (backend) => {
  let election: OwnerElection;
  beforeAll(async () => {
    election =
      backend.kind === 'memory'
        ? new MemoryOwnerElection(5000)
        : new RedisOwnerElection(await backend.connect(), backend.keys, 5000);
  });

  it('keeps the epoch while the stream has an owner again', async () => {
    const stopping = await election.claim(id, 'host:a');
    await election.release(id, stopping!);
    // Another worker's player arrives between the old owner's release and its drop.
    const next = await election.claim(id, 'host:b');
    await election.drop(id);
    expect(await election.renew(id, next!)).toEqual({ renewed: true });
    await election.release(id, next!);
    await election.drop(id);
    const again = await election.claim(id, 'host:c');
    expect(again!.epoch).toBe(1);
  });
});
