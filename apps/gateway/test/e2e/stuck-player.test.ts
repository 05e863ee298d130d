// Players that stop reading: dropped after PROXY_CLIENT_STALL_TIMEOUT, with a log line; the others play on.

import { ProbeScanner } from '@acestream-proxy/engine-sim';
import { capture, type Stack, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const STALL_S = 2;

describe('a player that stops reading', () => {
  let stack: Stack;

  beforeAll(async () => {
    // 24 Mbit/s fills the paused player's socket buffers in a second or two (8 Mbit/s took ~5 s).
    stack = await startStack({
      label: 'stuck-player',
      simEnv: { BITRATE: '24000000' },
      env: { PROXY_CLIENT_STALL_TIMEOUT: String(STALL_S), LOG_LEVEL: 'warn' },
    });
  });
  afterAll(() => stack.stop());

  it('is dropped once its socket has not drained for PROXY_CLIENT_STALL_TIMEOUT; its record goes at once', async () => {
    const id = 'e5'.repeat(20);
    const reading = await capture(stack.streamUrl(id));
    const stuck = await capture(stack.streamUrl(id));
    await Promise.all([reading.waitForBytes(200_000), stuck.waitForBytes(200_000)]);
    const clients = stack.key('stream', id, 'clients');
    expect(await stack.redis!.scard(clients)).toBe(2);
    const scanner = new ProbeScanner();
    const seqs: number[] = [];

    stuck.pause();
    const pausedAt = Date.now();
    // Its record goes the moment the proxy drops it.
    await waitFor(async () => (await stack.redis!.scard(clients)) === 1, {
      what: 'the stuck player to be dropped',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    // Not before the timeout: its socket first had to fill, then stay full for STALL_S.
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(STALL_S * 1000);
    expect(
      stack.gateway.output.some((l) => l.includes('dropping a player that has not read for PROXY_CLIENT_STALL_TIMEOUT')),
    ).toBe(true);
    // Reading again, it finds its connection closed after what was already in flight.
    stuck.resume();
    await stuck.waitForEnd(10_000);

    // The reading player never noticed: every probe the engine sent reached it, in order.
    const before = reading.length;
    await reading.waitForBytes(before + 500_000);
    expect(reading.ended).toBe(false);
    for (const probe of scanner.push(reading.bytes().subarray(0, reading.length - (reading.length % 188)))) seqs.push(probe.seq);
    expect(seqs.length).toBeGreaterThan(100);
    const gaps = seqs.slice(1).filter((seq, i) => seq !== seqs[i]! + 1);
    expect(gaps).toEqual([]);
    reading.close();
  });
});
