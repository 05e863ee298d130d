// Durable state lost and found (DESIGN §19): a loud line, a /health warning, config-born state re-seeded.

import { DurableState, MemorySentinelStore, RedisSentinelStore, type SentinelStore } from '@acestream-proxy/state';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterEach, beforeAll, expect, it } from '@jest/globals';

/** A logger that keeps its lines, so a test can say what was said. */
const recorder = () => {
  const lines: Array<[string, string]> = [];
  const log = (level: string) => (message: string) => lines.push([level, message]);
  return { lines, logger: { error: log('error'), warn: log('warn'), info: log('info') } };
};

backendSuite('DurableState', (backend) => {
  let sentinels: SentinelStore[];
  const forget = async () => {
    if (backend.kind === 'memory') (sentinels[0] as MemorySentinelStore).clear();
    else await (await backend.connect()).del(backend.keys.stateSentinel());
  };
  beforeAll(async () => {
    sentinels =
      backend.kind === 'memory'
        ? [new MemorySentinelStore()]
        : await Promise.all([0, 1].map(async () => new RedisSentinelStore(await backend.connect(), backend.keys)));
  });
  afterEach(forget);

  it('seeds config-born state at start (the config winning) and stays quiet while the state is there', async () => {
    const { lines, logger } = recorder();
    const seeds: boolean[] = [];
    const state = new DurableState(sentinels[0]!, { logger, reseeds: [async ({ overwrite }) => void seeds.push(overwrite)] });
    await state.start();
    await state.check();
    state.stop();
    expect(seeds).toEqual([true]);
    expect(lines).toEqual([
      ['warn', expect.stringMatching(/no durable state found: a first start, or the state Redis lost its data/)],
    ]);
    expect(state.health()).toEqual({ ok: true, warning: null });
  });

  it('says so loudly on every worker when the state is gone, warns on /health and re-seeds once per worker', async () => {
    const workers = sentinels.map(() => ({ ...recorder(), seeds: [] as boolean[] }));
    const states = workers.map(
      (w, i) =>
        new DurableState(sentinels[i % sentinels.length]!, {
          logger: w.logger,
          reseeds: [async ({ overwrite }) => void w.seeds.push(overwrite)],
          checkMs: 100,
        }),
    );
    for (const s of states) await s.start();
    await forget();
    try {
      // Each worker sees it on its own timer: the sentinel missing, or another worker's new one.
      await waitFor(() => states.every((s, i) => !s.health().ok && workers[i]!.seeds.length === 2), {
        what: 'every worker to flag the lost state and re-seed',
        timeoutMs: 3000,
      });
    } finally {
      for (const s of states) s.stop();
    }
    for (const [i, w] of workers.entries()) {
      expect(w.lines.filter(([level]) => level === 'error')).toEqual([
        ['error', expect.stringMatching(/^durable state was lost/)],
      ]);
      expect(w.seeds).toEqual([true, false]);
      expect(states[i]!.health().warning).toMatchObject({
        code: 'durable_state_lost',
        message: expect.stringMatching(/appendonly yes/),
      });
    }
  });

  it('retries a failed re-seed at the next check without crying loss again', async () => {
    const { lines, logger } = recorder();
    let failures = 1;
    let seeded = 0;
    const state = new DurableState(sentinels[0]!, {
      logger,
      reseeds: [
        async () => {
          if (failures-- > 0) throw new Error('state Redis busy');
          seeded += 1;
        },
      ],
    });
    await state.start();
    expect(seeded).toBe(0);
    await state.check();
    state.stop();
    expect(seeded).toBe(1);
    expect(state.health().ok).toBe(true);
    expect(lines.filter(([level]) => level === 'error')).toEqual([
      ['error', expect.stringMatching(/re-seeding durable state .* failed/)],
    ]);
  });
});
