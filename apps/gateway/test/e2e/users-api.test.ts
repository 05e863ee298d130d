// The users admin API (AUTH=token) against stored state it did not write: a connection entry whose
// channel is not a stream id, users listed with their live connections on the API and the page.

import { Keys } from '@acestream-proxy/keys';
import { type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const API_KEY = 'users-api-test-admin-key';

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
});
