// GET /proxy/events in embedded mode: server-sent snapshots of streams, players and the event log
// (stream started and stopped, engine switch).

import { type Capture, capture, type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshotWhere } from './helpers.js';

const ID = 'e'.repeat(40);

describe('GET /proxy/events (embedded mode)', () => {
  let stack: Stack;
  let player: Capture;

  beforeAll(async () => {
    stack = await startStack({ redis: 'none', env: { PROXY_API_KEY: 'status-events-test-key', PROXY_HEARTBEAT_INTERVAL: '1' } });
  });
  afterAll(async () => {
    player?.close();
    await stack.stop();
  });

  it('pushes the stream, its player and the stream_started event', async () => {
    player = await capture(stack.streamUrl(ID), { 'user-agent': 'mpv 0.37.0' });
    await player.waitForBytes(20_000);
    const snapshot = await snapshotWhere(stack.gateway.url, (s) => s.streams.some((x) => x.id === ID && x.client_count === 1));
    const stream = snapshot.streams.find((x) => x.id === ID)!;
    expect(stream.state).toBe('active');
    expect(stream.clients.map((c) => c.user_agent)).toEqual(['mpv 0.37.0']);
    expect(snapshot.log.filter((e) => e.stream_id === ID).map((e) => e.kind)).toEqual(['stream_started']);
  });

  it('records why a stream stopped', async () => {
    const res = await fetch(`${stack.gateway.url}/proxy/streams/${ID}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': 'status-events-test-key' },
    });
    expect(res.status).toBe(202);
    await player.waitForEnd(5000);
    const snapshot = await snapshotWhere(stack.gateway.url, (s) => s.streams.length === 0);
    expect(snapshot.log[0]).toMatchObject({
      kind: 'stream_stopped',
      stream_id: ID,
      detail: 'stopped: stopped through the management API',
    });
  });
});

describe('GET /proxy/events when an engine dies (embedded mode, two engines)', () => {
  let stack: Stack;
  let player: Capture;

  beforeAll(async () => {
    stack = await startStack({ redis: 'none', sims: 2, env: { PROXY_MAX_RETRIES: '0', PROXY_NO_DATA_TIMEOUT: '1' } });
  });
  afterAll(async () => {
    player?.close();
    await stack.stop();
  });

  it('logs the engine switch, naming the engine left behind', async () => {
    player = await capture(stack.streamUrl(ID));
    await player.waitForBytes(20_000);
    const info = (await (await fetch(`${stack.gateway.url}/proxy/streams/${ID}`)).json()) as { engine: { port: number } };
    const engine = stack.sims.find((s) => s.port === info.engine.port)!;
    await engine.stop('SIGKILL');
    const snapshot = await snapshotWhere(stack.gateway.url, (s) => s.log.some((e) => e.kind === 'engine_switch'), 15_000);
    expect(snapshot.log.find((e) => e.kind === 'engine_switch')!.detail).toMatch(
      new RegExp(`^away from 127\\.0\\.0\\.1:${engine.port}: `),
    );
    // The player stays on through the switch.
    const before = player.length;
    await player.waitForBytes(before + 20_000);
  });
});
