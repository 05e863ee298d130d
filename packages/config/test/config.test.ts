import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { ConfigError, createLogger, loadConfig } from '@acestream-proxy/config';
import { describe, expect, it } from '@jest/globals';

const noDotenv = { dotenvPath: '/nonexistent/.env' };
const load = (env: Record<string, string>) => loadConfig(env, noDotenv);

/** Runs loadConfigOrExit in a process of its own, as an entry point would: its exit code and stderr. */
function loadOrExit(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const script = new URL('./fixtures/load-or-exit.mjs', import.meta.url).pathname;
  return promisify(execFile)(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const { config, warnings } = load({});
    expect(config.port).toBe(8000);
    expect(config.redisUrl).toBeNull();
    expect(config.engines).toEqual([{ host: '127.0.0.1', port: 6878 }]);
    expect(config.bufferTtl).toBe(60);
    expect(config.gracePeriod).toBe(5);
    expect(config.ghostTimeoutMs).toBe(50_000);
    expect(config.bufferChunkSize % 188).toBe(0);
    expect(config.keyPrefix).toBe('ace_proxy');
    expect(config.chunkSize).toBe(8192);
    expect(config.reconnectBackoffMs).toBe(250);
    expect(warnings).toEqual([]);
  });

  it('parses lists and fractions', () => {
    const { config } = load({
      ENGINES: 'a.example:6878, 10.0.0.2:6879',
      PROXY_GRACE_PERIOD: '0.5',
      REDIS_URL: 'redis://127.0.0.1:6379/2',
    });
    expect(config.engines).toEqual([
      { host: 'a.example', port: 6878 },
      { host: '10.0.0.2', port: 6879 },
    ]);
    expect(config.gracePeriod).toBe(0.5);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379/2');
  });

  it.each([
    ['PORT', 'abc', /whole number from 0 to 65535/],
    ['PORT', '70000', /whole number from 0 to 65535/],
    ['PROXY_BUFFER_TTL', '-1', /whole number of seconds from 1/],
    ['PROXY_BUFFER_TTL', 'abc', /whole number of seconds/],
    ['ENGINES', 'nohost', /host:port/],
    ['ENGINES', 'a:b', /host:port/],
    ['LOG_FORMAT', 'xml', /one of json, pretty/],
    ['LOG_LEVEL', 'loud', /one of error, warn, info/],
    ['REDIS_URL', 'http://x', /redis:\/\/ or rediss:\/\//],
    ['PROXY_FLUSH_INTERVAL_MS', '0', /from 5 to 10000/],
    ['PROXY_BUFFER_CHUNK_SIZE', '100', /at least 188|from 188/],
    ['PROXY_INIT_TIMEOUT', '0', /greater than 0/],
    ['PROXY_RECONNECT_BACKOFF_MS', '-5', /whole number of milliseconds from 0 to 60000/],
    ['ORCHESTRATOR_URL', 'ftp://x', /http:\/\/ or https:\/\//],
    ['PROXY_API_KEY', 'a', /at least 16 characters/],
    ['PROXY_HEADERS_TIMEOUT', '0', /greater than 0/],
    ['PROXY_MAX_CONNECTIONS', 'lots', /auto or a whole number/],
  ])('rejects %s=%s naming the variable, the value and the rule', (variable, value, rule) => {
    try {
      load({ [variable]: value });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.variable).toBe(variable);
      expect(e.value).toBe(value);
      expect(e.message).toContain(`${variable}="${value}"`);
      expect(e.message).toMatch(rule);
    }
  });

  it('aligns PROXY_BUFFER_CHUNK_SIZE down to a multiple of 188 with a warning', () => {
    const { config, warnings } = load({ PROXY_BUFFER_CHUNK_SIZE: '1061472' });
    expect(config.bufferChunkSize).toBe(1061448);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('1061472');
    expect(warnings[0]).toContain('1061448');
  });

  it('reads a .env file, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, '.env'), 'PORT=9001\nPROXY_GRACE_PERIOD=7\n');
    const { config } = loadConfig({ PORT: '9002' }, { dotenvPath: join(dir, '.env') });
    expect(config.port).toBe(9002);
    expect(config.gracePeriod).toBe(7);
  });

  it('exits 1 with the message on stderr when started with a bad value', async () => {
    const result = await loadOrExit({ PROXY_BUFFER_TTL: 'soon' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid PROXY_BUFFER_TTL="soon"');
  });

  it('refuses to start with a PROXY_API_KEY shorter than 16 characters', async () => {
    const result = await loadOrExit({ PROXY_API_KEY: 'secret' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid PROXY_API_KEY="secret": must be at least 16 characters');
    expect(load({ PROXY_API_KEY: 'a'.repeat(16) }).config.apiKey).toBe('a'.repeat(16));
  });

  it('reads the cluster timings, and refuses one out of range naming it', () => {
    expect(load({}).config).toMatchObject({ workerRestartBackoffMs: 100, acceptQuietMs: 5000, notReadyWaitMs: 5000 });
    expect(load({ NOT_READY_WAIT_MS: '1000', ACCEPT_QUIET_MS: '250', WORKER_RESTART_BACKOFF_MS: '0' }).config).toMatchObject({
      notReadyWaitMs: 1000,
      acceptQuietMs: 250,
      workerRestartBackoffMs: 0,
    });
    expect(() => load({ NOT_READY_WAIT_MS: '10' })).toThrow(
      'Invalid NOT_READY_WAIT_MS="10": must be a whole number of milliseconds from 100 to 60000',
    );
  });

  it('reads the orchestrator retry, the stat poll and the engine check intervals', () => {
    expect(load({}).config).toMatchObject({ orchestratorRetryMs: 500, statIntervalMs: 5000, engineCheckIntervalMs: 5000 });
    expect(
      load({ ORCHESTRATOR_RETRY_MS: '100', PROXY_STAT_INTERVAL_MS: '500', ENGINE_CHECK_INTERVAL_MS: '1000' }).config,
    ).toMatchObject({
      orchestratorRetryMs: 100,
      statIntervalMs: 500,
      engineCheckIntervalMs: 1000,
    });
    expect(() => load({ ORCHESTRATOR_RETRY_MS: '60000' })).toThrow(
      'Invalid ORCHESTRATOR_RETRY_MS="60000": must be a whole number of milliseconds from 10 to 5000',
    );
  });

  it('reads the connection deadlines and budget', () => {
    expect(load({}).config).toMatchObject({ headersTimeout: 10, bodyTimeout: 60, idleTimeout: 65, maxConnections: 'auto' });
    expect(load({ PROXY_MAX_CONNECTIONS: '0', PROXY_HEADERS_TIMEOUT: '2.5' }).config).toMatchObject({
      maxConnections: 0,
      headersTimeout: 2.5,
    });
  });
});

/** A stream that keeps what a logger writes, a line per entry. */
function collectLines(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the worker id and a child stream id', async () => {
    const { lines, stream } = collectLines();
    const logger = createLogger({ level: 'info', format: 'json', workerId: 'host:42', stream });
    logger.child({ stream_id: 'abc' }).info('client connected', { client_id: 'c1' });
    logger.debug('not shown');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 'info',
      message: 'client connected',
      worker_id: 'host:42',
      stream_id: 'abc',
      client_id: 'c1',
    });
  });

  it('skips a level that is off before building its line, and children keep their fields', async () => {
    const { lines, stream } = collectLines();
    let read = 0;
    const meta = {
      get client_id() {
        read++;
        return 'c1';
      },
    };
    const quiet = createLogger({ level: 'info', format: 'json', workerId: 'host:1', stream });
    quiet.child({ stream_id: 'abc' }).debug('client connected', meta);
    quiet.debug('client connected', meta);
    expect(read).toBe(0);

    const verbose = createLogger({ level: 'debug', format: 'json', workerId: 'host:2', stream });
    verbose.child({ stream_id: 'abc' }).debug('client connected', meta);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'debug', worker_id: 'host:2', stream_id: 'abc', client_id: 'c1' }),
    ]);
  });
});
