import { type EventBus, MemoryEventBus, RedisEventBus, type StreamEvent } from '@acestream-proxy/coordination';
import { parseStreamId } from '@acestream-proxy/keys';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { beforeAll, expect, it } from '@jest/globals';

const id = parseStreamId('9999999999999999999999999999999999999999');
const other = parseStreamId('8888888888888888888888888888888888888888');

backendSuite('EventBus', (backend) => {
  let bus: EventBus;
  beforeAll(async () => {
    bus =
      backend.kind === 'memory'
        ? new MemoryEventBus()
        : new RedisEventBus(await backend.connect(), await backend.subscriptions(), backend.keys);
  });

  it('delivers typed events to listeners of that stream only', async () => {
    const seen: StreamEvent[] = [];
    const seenOther: StreamEvent[] = [];
    const off = await bus.listen(id, (e) => seen.push(e));
    const offOther = await bus.listen(other, (e) => seenOther.push(e));
    await bus.publish({ type: 'client_connected', stream_id: id, client_id: 'c1', worker_id: 'h:1' });
    await bus.publish({
      type: 'stream_stopped',
      stream_id: id,
      reason: 'normal',
      message: 'grace period over',
    });
    await waitFor(() => seen.length === 2, { what: 'two events' });
    expect(seen.map((e) => e.type)).toEqual(['client_connected', 'stream_stopped']);
    expect(seenOther).toEqual([]);
    await off();
    await offOther();
  });
});
