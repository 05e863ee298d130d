// Choosing an engine for a stream: least loaded with a free slot, engines that do not answer left out, and why none fits.

import { EngineClient, MemoryEngineLoad, StaticEngineSource } from '@acestream-proxy/engine';
import { type EngineSim, startEngineSim } from '@acestream-proxy/engine-sim';
import { parseStreamId } from '@acestream-proxy/keys';
import { silentLogger } from '@acestream-proxy/stream';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';
import { EnginePicker } from '../src/owner/engine-picker.js';

const a = parseStreamId('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1');
const b = parseStreamId('b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2');
const c = parseStreamId('c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3');

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function sims(n: number): Promise<EngineSim[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startEngineSim({ port: 0 })));
  for (const s of started) closers.push(() => s.close());
  return started;
}

function picker(engines: EngineSim[], load: MemoryEngineLoad, maxStreams = 1): EnginePicker {
  const p = new EnginePicker({
    engines: new StaticEngineSource(engines.map((e) => ({ host: e.host, port: e.port }))),
    engineLoad: load,
    engineMaxStreams: maxStreams,
    engineApiTimeoutMs: 1000,
    initTimeoutMs: 1000,
    logger: silentLogger,
    retryMs: 100,
  });
  closers.push(() => p.close());
  return p;
}

describe('engine picker', () => {
  it('spreads streams over the engines with a free slot, and names ENGINE_MAX_STREAMS when all are full', async () => {
    const engines = await sims(2);
    const load = new MemoryEngineLoad();
    const pick = picker(engines, load);
    const first = await pick.reserve(a, await pick.candidates());
    await pick.take(a, `127.0.0.1:${first!.address.port}`);
    const second = await pick.reserve(b, await pick.candidates());
    expect([first!.address.port, second!.address.port].sort()).toEqual(engines.map((e) => e.port).sort());
    // Another worker's picker shares the load: no slot for a third stream anywhere.
    const other = picker(engines, load);
    const candidates = await other.candidates();
    expect(await other.reserve(c, candidates)).toBeNull();
    expect(other.noEngineError(candidates.length).message).toBe('all 2 engines already serve ENGINE_MAX_STREAMS=1 streams');
    // Freed: the slot is there again.
    await pick.release(b, pick.knownIds());
    expect(await other.reserve(c, await other.candidates())).not.toBeNull();
  });

  it('leaves an engine that does not answer out of new streams until its version check answers', async () => {
    const [up, flaky] = await sims(2);
    const pick = picker([up!, flaky!], new MemoryEngineLoad(), 5);
    flaky!.setHang(true);
    pick.markDown(new EngineClient({ host: flaky!.host, port: flaky!.port }, { apiTimeoutMs: 200 }));
    expect((await pick.candidates()).map((e) => e.address.port)).toEqual([up!.port]);
    expect(pick.noEngineError(1).message).toBe(
      '1 of 2 engines are unreachable (checked every 0.1 s), the others serve ENGINE_MAX_STREAMS=5 streams',
    );
    flaky!.setHang(false);
    await waitFor(async () => (await pick.candidates()).length === 2, { what: 'the engine to be back once it answers' });
    expect((await pick.candidates()).map((e) => e.address.port)).toEqual([up!.port, flaky!.port]);
  });

  it('moves a stream off its engine to another one, never back to the one it leaves', async () => {
    const engines = await sims(2);
    const pick = picker(engines, new MemoryEngineLoad(), 5);
    const current = await pick.reserve(a, await pick.candidates());
    await pick.take(a, `127.0.0.1:${current!.address.port}`);
    const next = await pick.move(a, current!);
    expect(next!.address.port).not.toBe(current!.address.port);
    expect(await pick.move(a, next!)).not.toBeNull();
    expect((await pick.move(a, next!))!.address.port).toBe(current!.address.port);
  });
});
