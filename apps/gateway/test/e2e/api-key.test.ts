// The management API's key: after repeated wrong keys an address is answered 429 (cluster-wide),
// while another address is answered as before.

import http from 'node:http';
import { type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const KEY = 'api-key-test-0123456789';
/** FAILURE_LIMIT of auth/failures.ts. */
const LIMIT = 10;

/** A DELETE from `localAddress` (Linux loopback takes any 127/8 source), on a fresh connection each. */
function del(url: string, key: string, localAddress: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'DELETE', localAddress, agent: false, headers: { 'x-api-key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the management API key', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ label: 'api-key', workers: 2, env: { PROXY_API_KEY: KEY } });
  });
  afterAll(() => stack?.stop());

  it(`answers 429 with Retry-After to an address after ${LIMIT} wrong keys (counted in Redis, whichever worker answers), other addresses as before`, async () => {
    const url = `${stack.gateway.url}/proxy/streams/${'ab'.repeat(20)}`;
    const wrong: number[] = [];
    for (let i = 0; i < LIMIT; i++) wrong.push((await del(url, `wrong-key-${i}-0123456789`, '127.0.0.1')).status);
    expect(wrong.slice(0, LIMIT - 1)).toEqual(Array(LIMIT - 1).fill(401));
    expect(wrong[LIMIT - 1]).toBe(429);

    // Blocked, even with the right key: guessing does not pay.
    const blocked = await del(url, KEY, '127.0.0.1');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(60);

    // Another address: a wrong key is a 401, the right one is served (no such stream: 404).
    expect((await del(url, 'another-wrong-key-0123', '127.0.0.2')).status).toBe(401);
    expect((await del(url, KEY, '127.0.0.2')).status).toBe(404);
  });
});
