// The owner's engine reader against simulated engines: reconnects, no-data deadlines, moving to the next engine, giving up.

import { Chunker } from '@acestream-proxy/buffer';
import { EngineClient } from '@acestream-proxy/engine';
import { type EngineSim, startEngineSim } from '@acestream-proxy/engine-sim';
import { parseStreamId } from '@acestream-proxy/keys';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type LifecycleEvent, StreamEvents } from '../src/events.js';
import { type Logger, silentLogger } from '../src/logger.js';
import { MemoryMetadataStore } from '../src/metadata.js';
import { EngineReader, type EngineReaderOptions } from '../src/owner/engine-reader.js';
import { MetadataMirror } from '../src/owner/metadata-mirror.js';
import { WorkerStats } from '../src/stats.js';

const id = parseStreamId('e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7');

/** A logger that keeps its warnings, so a test can read why a session ended. */
function recordingLogger(): Logger & { warnings: Array<{ message: string; meta?: Record<string, unknown> }> } {
  const warnings: Array<{ message: string; meta?: Record<string, unknown> }> = [];
  const logger = {
    ...silentLogger,
    warnings,
    warn: (message: string, meta?: Record<string, unknown>) => void warnings.push({ message, meta }),
  };
  return { ...logger, child: () => logger };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sim(): Promise<EngineSim> {
  const engine = await startEngineSim({ port: 0, bitrate: 2_000_000 });
  cleanups.push(() => engine.close());
  return engine;
}

function client(engine: EngineSim): EngineClient {
  const c = new EngineClient({ host: engine.host, port: engine.port }, { apiTimeoutMs: 2000, playbackTimeoutMs: 2000 });
  cleanups.push(() => c.close());
  return c;
}

interface Run {
  reader: EngineReader;
  chunks: Buffer[];
  stats: WorkerStats;
  events: LifecycleEvent[];
  sessionsEnded: number;
  gaveUp: string | null;
  logger: ReturnType<typeof recordingLogger>;
}

/** Opens and reads `engine` with `overrides`; the run ends with the test. */
async function read(engine: EngineClient, overrides: Partial<EngineReaderOptions> = {}, maxRetries = 3): Promise<Run> {
  const abort = new AbortController();
  const logger = recordingLogger();
  const stats = new WorkerStats();
  const lifecycle = new StreamEvents(logger);
  const run: Run = { reader: null!, chunks: [], stats, events: [], sessionsEnded: 0, gaveUp: null, logger };
  lifecycle.on((e) => run.events.push(e));
  const chunker = new Chunker({ maxBytes: 188 * 100, flushIntervalMs: 50, onChunk: (c) => run.chunks.push(c) });
  run.reader = new EngineReader(engine, {
    id,
    settings: { initTimeoutMs: 2000, noDataTimeoutMs: 400, readChunkSize: 65_536, maxRetries, reconnectBackoffMs: 20 },
    chunker,
    mirror: new MetadataMirror(id, new MemoryMetadataStore(), logger),
    stats,
    events: lifecycle,
    logger,
    signal: abort.signal,
    onSessionEnded: () => run.sessionsEnded++,
    onGiveUp: (message) => {
      run.gaveUp = message;
      abort.abort();
    },
    ...overrides,
  });
  await run.reader.open();
  const reading = run.reader.read();
  cleanups.push(async () => {
    abort.abort();
    await reading;
    chunker.close();
  });
  return run;
}

const bytes = (run: Run) => run.chunks.reduce((n, c) => n + c.length, 0);

describe('engine reader', () => {
  it('reconnects to the same engine when a session ends, and its chunks keep coming', async () => {
    const engine = await sim();
    engine.setFault(id, { eof_after_s: 0.3 });
    const run = await read(client(engine));
    await waitFor(() => run.sessionsEnded >= 1 && run.stats.engineReconnects >= 1, {
      what: 'a reconnect after the end of a session',
    });
    const after = bytes(run);
    await waitFor(() => bytes(run) > after + 20_000, { what: 'chunks from the second session' });
    expect(engine.stats().started).toBeGreaterThanOrEqual(2);
    expect(run.stats.engineSwitches).toBe(0);
    expect(run.chunks.every((c) => c.length % 188 === 0 && c[0] === 0x47)).toBe(true);
  });

  it('ends a session that sends nothing for PROXY_NO_DATA_TIMEOUT, and reconnects', async () => {
    const engine = await sim();
    engine.setFault(id, { stall_after_s: 0.2 });
    const run = await read(client(engine));
    await waitFor(() => run.stats.engineReconnects >= 1, { what: 'a reconnect after the engine went silent' });
    const interrupted = run.logger.warnings.find((w) => w.message === 'engine stream interrupted');
    expect(interrupted?.meta?.reason).toBe('no data from the engine for 400 ms');
  });

  it('moves to the next engine after PROXY_MAX_RETRIES, and says so in an engine_switched event', async () => {
    const [first, second] = [await sim(), await sim()];
    // The first engine ends every session and refuses new ones: only a move helps.
    first.setFault(id, { eof_after_s: 0.2, refuse_after: 1 });
    const next = client(second);
    const asked: string[] = [];
    const run = await read(
      client(first),
      {
        nextEngine: async (current) => {
          asked.push(`${current.address.port}`);
          return next;
        },
      },
      1,
    );
    await waitFor(() => run.events.length > 0, { what: 'an engine_switched event' });
    expect(run.events).toEqual([
      {
        type: 'engine_switched',
        stream_id: id,
        from: `127.0.0.1:${first.port}`,
        to: `127.0.0.1:${second.port}`,
        reason: expect.any(String),
      },
    ]);
    expect(asked).toEqual([`${first.port}`]);
    expect(run.reader.engine).toBe(next);
    await waitFor(() => second.stats().active === 1, { what: 'a session on the second engine' });
    const after = bytes(run);
    await waitFor(() => bytes(run) > after + 20_000, { what: 'chunks from the second engine' });
  });

  it('gives up when no engine is left to move to, naming the attempts and the last failure', async () => {
    const engine = await sim();
    engine.setFault(id, { eof_after_s: 0.2, refuse_after: 1 });
    const run = await read(client(engine), { nextEngine: async () => null }, 1);
    await waitFor(() => run.gaveUp !== null, { what: 'the reader to give up' });
    expect(run.gaveUp).toMatch(/^engine stream failed 2 times, last: /);
    expect(run.events).toEqual([]);
  });
});
