// Requests pipelined on one connection: only the one that owns the connection is served, and its
// player leaves when the connection closes (no ghost players, no ghost engine sessions).

import { capture, getJson, type Stack, simSessions, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closed, pipelined } from './attackers.js';

const GRACE_S = 0.5;

describe('pipelined requests on one connection', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Room for every pipelined request to start a session, had it been served.
    stack = await startStack({ label: 'pipelining', env: { ENGINE_MAX_STREAMS: '20', PROXY_GRACE_PERIOD: String(GRACE_S) } });
  });
  afterAll(() => stack?.stop());

  it('ten stream requests and a playlist on one connection start one engine session, none after it closes', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `${i}c`.repeat(20));
    const behind = 'dd'.repeat(20);
    const connection = await pipelined(stack.gateway.url, [
      ...ids.map((id) => `/ace/getstream?id=${id}`),
      `/ace/manifest.m3u8?id=${behind}`,
    ]);
    await waitFor(() => connection.bytes > 50_000, { what: 'the first stream on the pipelined connection' });
    // A later connection's stream is served after the pipelined ones were parsed: by its first
    // bytes, any request behind the first would have started its own session.
    const later = await capture(stack.streamUrl('ee'.repeat(20)));
    await later.waitForBytes(50_000);
    const sessions = await simSessions(stack.sim);
    expect(sessions.started).toBe(2);

    const closedAt = performance.now();
    await Promise.all([closed(connection.socket), Promise.resolve(later.close())]);
    await waitFor(async () => (await simSessions(stack.sim)).active === 0, {
      what: 'no engine session left after the connections closed',
      timeoutMs: (GRACE_S + 2) * 1000,
    });
    expect(performance.now() - closedAt).toBeLessThan((GRACE_S + 2) * 1000);
  });

  it('requests for one id pipelined on one connection are one player; queueing more than 16 closes it', async () => {
    const id = 'f1'.repeat(20);
    const ten = await pipelined(
      stack.gateway.url,
      Array.from({ length: 10 }, () => `/ace/getstream?id=${id}`),
    );
    await waitFor(() => ten.bytes > 50_000, { what: 'the stream on the pipelined connection' });
    const hundred = await pipelined(
      stack.gateway.url,
      Array.from({ length: 100 }, () => `/ace/getstream?id=${id}`),
    );
    await waitFor(() => hundred.socket.destroyed || hundred.socket.readableEnded, {
      what: 'the gateway to close the connection that queued 100 requests',
    });
    const later = await capture(stack.streamUrl(id));
    await later.waitForBytes(50_000);
    const count = async () =>
      (await getJson<{ client_count: number }>(`${stack.gateway.url}/proxy/streams/${id}`)).body.client_count;
    // The ten-request connection's one player and the later one (the closed connection's is gone).
    await waitFor(async () => (await count()) === 2, { what: 'two players on the stream' });
    expect(await count()).toBe(2);
    later.close();
    await closed(ten.socket);
  });
});
