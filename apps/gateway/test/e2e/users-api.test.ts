// The users admin API (AUTH=token): users listed with their live connections as the status page
// lists them; state it did not write (a connection entry whose channel is not a stream id, a
// USERS_FILE user whose token an API user holds).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keys } from '@acestream-proxy/keys';
import { type Stack, startStack, tempDir, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshotWhere } from './helpers.js';

const API_KEY = 'users-api-test-admin-key';
const [channelA, channelB] = ['a1', 'b2'].map((pair) => pair.repeat(20));

async function api(stack: Stack, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.gateway.url}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('the users admin API', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ label: 'users_api', env: { AUTH: 'token', PROXY_API_KEY: API_KEY } });
  });
  afterAll(() => stack?.stop());

  it('lists a user with its live connections on the API and the status page alike: two players on one channel count as one channel', async () => {
    expect((await api(stack, 'POST', '/proxy/users', { name: 'watcher' })).status).toBe(201);
    const keys = new Keys(stack.prefix);
    const now = Date.now();
    for (const [i, channel] of [channelA, channelA, channelB].entries()) {
      await stack.redis.zadd(keys.userConnections('watcher'), now + 60_000, `player-${i}`);
      await stack.redis.hset(keys.userConnectionStreams('watcher'), `player-${i}`, `${now + i}:${channel}`);
    }
    const listed = (await api(stack, 'GET', '/proxy/users')).body as { users: Array<{ name: string }> };
    expect(listed.users.find((u) => u.name === 'watcher')).toMatchObject({ live_channels: 2, live_connections: 3 });
    type WithUsers = { users?: Array<{ name: string; channels: string[]; connections: number }> };
    const snapshot = (await snapshotWhere(stack.gateway.url, (s) => (s as WithUsers).users !== undefined, 10_000, {
      'x-api-key': API_KEY,
    })) as WithUsers;
    const shown = snapshot.users!.find((u) => u.name === 'watcher')!;
    expect({ channels: [...shown.channels].sort(), connections: shown.connections }).toEqual({
      channels: [channelA, channelB],
      connections: 3,
    });
    await stack.redis.del(keys.userConnections('watcher'), keys.userConnectionStreams('watcher'));
  });

  it('disconnecting a user whose stored connection has no valid stream id answers 202 and logs it: the asker sent no stream id', async () => {
    expect((await api(stack, 'POST', '/proxy/users', { name: 'odd' })).status).toBe(201);
    const keys = new Keys(stack.prefix);
    const now = Date.now();
    await stack.redis.zadd(keys.userConnections('odd'), now + 60_000, 'bad-entry');
    await stack.redis.hset(keys.userConnectionStreams('odd'), 'bad-entry', `${now}:not-a-stream-id`);
    const answer = await api(stack, 'POST', '/proxy/users/odd/disconnect');
    expect(answer).toEqual({ status: 202, body: expect.objectContaining({ status: 'disconnecting', connections: 1 }) });
    expect(stack.gateway.output.some((line) => line.includes('has no valid stream id') && line.includes('bad-entry'))).toBe(true);
  });

  it('names in its log a USERS_FILE user it could not seed because an API user holds its token, and does not make it', async () => {
    const created = await api(stack, 'POST', '/proxy/users', { name: 'holder' });
    const { token } = created.body as { token: string };
    const file = join(tempDir('users-api'), 'users.yaml');
    writeFileSync(file, `users:\n  - name: copycat\n    token: ${token}\n`);
    const host = await stack.addGateway({ USERS_FILE: file });
    await waitFor(() => host.output.find((line) => line.includes('USERS_FILE users not written') && line.includes('copycat')), {
      what: 'the refused USERS_FILE user logged',
    });
    expect(host.output.join('\n')).not.toContain(token);
    const users = (await api(stack, 'GET', '/proxy/users')).body as { users: Array<{ name: string }> };
    expect(users.users.map((u) => u.name)).not.toContain('copycat');
  });
});
