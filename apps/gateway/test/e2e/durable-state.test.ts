// Durable state (DESIGN §19) end to end: with REDIS_STATE_URL on an appendonly Redis, a buffer Redis
// that comes back empty costs no user, GuideNumber or HLS key; on one Redis restarted empty, the
// gateway says so (log line, /health warning) and USERS_FILE's users come back.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newToken, RedisUserStore, Users } from '@acestream-proxy/accounts';
import { Keys } from '@acestream-proxy/keys';
import {
  capture,
  type PrivateRedis,
  type Stack,
  startPrivateRedis,
  startStack,
  tempDir,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, describe, expect, it } from '@jest/globals';

const [A, B] = ['d1', 'e2'].map((p) => p.repeat(20)) as [string, string];
const API_KEY = 'durable-state-admin-key';

interface Health {
  status: string;
  warnings?: Array<{ code: string; message: string }>;
}
const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Health;
const lineup = async (url: string, token: string) =>
  ((await (await fetch(`${url}/u/${token}/lineup.json`)).json()) as Array<{ GuideNumber: string; GuideName: string }>).map(
    (e) => `${e.GuideName}=${e.GuideNumber}`,
  );

/** A player of `id` through the user's URL gets stream bytes (the token works end to end). */
async function plays(url: string, token: string, id: string): Promise<void> {
  const player = await capture(`${url}/u/${token}/ace/getstream?id=${id}`);
  try {
    await player.waitForBytes(20_000, 10_000);
  } finally {
    player.close();
  }
}

/** The durable keys that matter here, with their values (DUMP: any type), from a state Redis. */
async function durableKeys(state: PrivateRedis): Promise<Record<string, string>> {
  const names = ['{state}:users', '{state}:guide_numbers', '{state}:hls_secret', '{state}:sentinel', '{playlist}:merged'];
  const found: Record<string, string> = {};
  for (const name of names) {
    const dump = await state.redis.dumpBuffer(`ace_proxy:${name}`);
    if (dump) found[`ace_proxy:${name}`] = dump.toString('base64');
  }
  return found;
}

/** The buffer Redis (the stack's private one) stopped and started empty on its port. */
async function restartEmpty(stack: Stack): Promise<void> {
  const old = stack.privateRedis!;
  await old.stop();
  const fresh = await startPrivateRedis(old.port);
  // The stack's handle follows the new server (its stop() stops this one).
  Object.assign(old, fresh);
  await waitFor(async () => (await fetch(`${stack.gateway.url}/health`)).status === 200, {
    what: 'the gateway back on the restarted Redis',
    timeoutMs: 10_000,
  });
}

describe('durable state', () => {
  const dir = tempDir('durable-state');
  const playlist = join(dir, 'list.m3u');
  writeFileSync(playlist, `#EXTM3U\n#EXTINF:-1,Alpha\nacestream://${A}\n#EXTINF:-1,Beta\n${B}\n`);
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on REDIS_STATE_URL (appendonly), users, GuideNumbers and the HLS key survive the buffer Redis coming back empty, and the state Redis restarting', async () => {
    let state: PrivateRedis = await startPrivateRedis(undefined, { persistDir: dir });
    cleanups.push(() => state.stop());
    const stack = await startStack({
      redis: 'private',
      env: {
        AUTH: 'token',
        PROXY_API_KEY: API_KEY,
        REDIS_STATE_URL: state.url,
        PLAYLIST_SOURCES: playlist,
        PROXY_HEARTBEAT_INTERVAL: '1',
        // A manifest answers once the first segment is cut: short segments, short waits.
        PROXY_HLS_TARGET_DURATION: '0.5',
      },
    });
    cleanups.push(() => stack.stop());
    const { gateway } = stack;
    const { token } = await new Users(new RedisUserStore(state.redis, new Keys('ace_proxy'))).create({ name: 'alice' });
    await plays(gateway.url, token, A);
    const guide = await lineup(gateway.url, token);
    expect(guide).toHaveLength(2);
    const manifest = await fetch(`${gateway.url}/u/${token}/ace/manifest.m3u8?id=${A}`);
    expect(manifest.status).toBe(200);
    await manifest.text();
    const secret = await state.redis.get('ace_proxy:{state}:hls_secret');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Nothing durable went to the buffer Redis.
    expect((await stack.redis.keys('ace_proxy:{state}:*')).sort()).toEqual([]);

    await restartEmpty(stack);
    await plays(gateway.url, token, A);
    expect(await lineup(gateway.url, token)).toEqual(guide);
    expect(await state.redis.get('ace_proxy:{state}:hls_secret')).toBe(secret);
    expect((await fetch(`${gateway.url}/u/${token}/ace/manifest.m3u8?id=${B}`)).status).toBe(200);

    // The state Redis itself restarts: its append-only file brings everything back.
    const before = await durableKeys(state);
    await state.stop();
    state = await startPrivateRedis(state.port, { persistDir: dir });
    expect(await durableKeys(state)).toEqual(before);
    expect(Object.keys(before).sort()).toEqual([
      'ace_proxy:{playlist}:merged',
      'ace_proxy:{state}:guide_numbers',
      'ace_proxy:{state}:hls_secret',
      'ace_proxy:{state}:sentinel',
      'ace_proxy:{state}:users',
    ]);
    expect((await health(gateway.url)).warnings).toBeUndefined();
    expect(gateway.output.join('\n')).not.toContain('durable state was lost');
  }, 30_000);

  it('in cluster mode too, REDIS_STATE_URL holds the users, GuideNumbers, HLS key and playlist copies', async () => {
    const stateDir = tempDir('durable-state-cluster');
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const state = await startPrivateRedis(undefined, { persistDir: stateDir });
    cleanups.push(() => state.stop());
    const stack = await startStack({
      redis: 'cluster',
      env: {
        AUTH: 'token',
        PROXY_API_KEY: API_KEY,
        REDIS_STATE_URL: state.url,
        PLAYLIST_SOURCES: playlist,
        PROXY_HLS_TARGET_DURATION: '0.5',
      },
    });
    cleanups.push(() => stack.stop());
    const created = await fetch(`${stack.gateway.url}/proxy/users`, {
      method: 'POST',
      headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'carol' }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    await plays(stack.gateway.url, token, A);
    expect(await lineup(stack.gateway.url, token)).toHaveLength(2);
    expect((await fetch(`${stack.gateway.url}/u/${token}/ace/manifest.m3u8?id=${A}`)).status).toBe(200);
    const durable = ['{state}:users', '{state}:guide_numbers', '{state}:hls_secret', '{state}:sentinel', '{playlist}:merged'];
    for (const key of durable) {
      expect([key, await state.redis.exists(`ace_proxy:${key}`)]).toEqual([key, 1]);
      expect([key, await stack.cluster!.redis.exists(`ace_proxy:${key}`)]).toEqual([key, 0]);
    }
  }, 30_000);

  it('on one Redis restarted empty: a loud log line, a /health warning, and USERS_FILE users made again', async () => {
    const fileToken = newToken();
    const usersFile = join(dir, 'users.yaml');
    writeFileSync(usersFile, `users:\n  - name: kitchen\n    token: ${fileToken}\n`);
    const stack = await startStack({
      redis: 'private',
      env: { AUTH: 'token', PROXY_API_KEY: API_KEY, USERS_FILE: usersFile, PROXY_HEARTBEAT_INTERVAL: '1' },
    });
    cleanups.push(() => stack.stop());
    const { gateway } = stack;
    const { token: apiToken } = await new Users(new RedisUserStore(stack.redis, new Keys('ace_proxy'))).create({ name: 'bob' });
    await plays(gateway.url, fileToken, A);
    expect((await health(gateway.url)).warnings).toBeUndefined();

    await restartEmpty(stack);
    const lost = await waitFor(
      async () => {
        const h = await health(gateway.url);
        return h.warnings?.length ? h : null;
      },
      { what: 'the durable_state_lost warning on /health', timeoutMs: 10_000 },
    );
    expect(lost.status).toBe('ok');
    expect(lost.warnings).toEqual([expect.objectContaining({ code: 'durable_state_lost' })]);
    const lines = gateway.output.filter((l) => l.includes('durable state was lost'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/"level":"error"/);
    // The file's user comes back and plays; the one made through the API is gone with the state.
    await waitFor(async () => (await stack.redis.hexists('ace_proxy:{state}:users', 'kitchen')) === 1, {
      what: 'kitchen re-made from USERS_FILE',
    });
    await plays(gateway.url, fileToken, B);
    expect((await fetch(`${gateway.url}/u/${apiToken}/ace/getstream?id=${B}`)).status).toBe(401);
  }, 30_000);
});
