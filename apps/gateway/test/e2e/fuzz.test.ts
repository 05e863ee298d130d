// Fuzzing every route with fast-check over raw sockets: no 5xx but 503, no crash, no key from bad input.

import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { getJson, type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

const API_KEY = 'fuzz-key-fuzz-key';
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 800);

/** Sends one raw HTTP/1.1 request and resolves with the status code of the answer. */
function statusOf(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s to:\n${head.slice(0, 500)}`));
    }, 10_000);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      text += data;
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (match || text.length > 64) {
        clearTimeout(timer);
        socket.destroy();
        if (match) resolve(Number(match[1]));
        else reject(new Error(`not an HTTP answer: ${JSON.stringify(text)}`));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (!/^HTTP/.test(text)) reject(new Error(`closed without an answer to:\n${head.slice(0, 500)}`));
    });
    socket.write(head);
  });
}

// Ids as players and scripts send them, right and wrong: 40 hex in any case, near misses, and
// anything at all, including what would build another key (`*`, `:`, `{`, `..`) if used unchecked.
const hex40 = fc.stringMatching(/^[0-9a-fA-F]{40}$/);
const idLike = fc.oneof(
  hex40,
  fc.stringMatching(/^[0-9a-f]{0,45}$/),
  fc.constantFrom('*', '%2A', '..', '%00', 'ace_proxy:*', '{x}', ':', '%3A', '', '%', '%zz', '%E0%A4%A', '%C0%AF'),
  fc.string({ maxLength: 60 }).map(encodeURIComponent),
  hex40.map((h) => `${h}:clients`),
  hex40.map((h) => `${h}%0d%0aX: 1`),
);
const paramName = fc.oneof(
  fc.constantFrom('id', 'infohash', 'content_id', 'id[]', 'id[a]', 'pid', '__proto__', 'constructor'),
  fc.stringMatching(/^[a-z_[\]]{1,12}$/),
);
const query = fc
  .array(fc.tuple(paramName, idLike), { maxLength: 40 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));
const path = fc.oneof(
  fc.constantFrom('/ace/getstream', '/health', '/metrics', '/proxy/streams', '/', '/ace', '/nope'),
  idLike.map((id) => `/proxy/streams/${id}`),
  fc.tuple(idLike, idLike).map(([id, cid]) => `/proxy/streams/${id}/clients/${cid}`),
  fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`),
);
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND');
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);
const headers = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constantFrom('Authorization', 'X-API-Key', 'Range', 'User-Agent', 'X-Forwarded-For', 'Content-Type'),
      headerValue,
    ),
    fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), headerValue),
    fc.constant(['Authorization', `Bearer ${API_KEY}`] as [string, string]),
  ),
  { maxLength: 12 },
);
const longTail = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `&pad=${'a'.repeat(n)}`),
);

describe('fuzzing every route (fast-check, raw sockets)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      label: 'fuzz',
      workers: 2,
      env: { PROXY_API_KEY: API_KEY, ENGINE_MAX_STREAMS: '2', PROXY_GRACE_PERIOD: '0.2' },
    });
  });
  afterAll(() => stack.stop());

  it('never answers a 5xx other than 503, never crashes a worker, never builds a key from unvalidated input', async () => {
    const primary = stack.gateway.proc.pid!;
    const workers = () => execFileSync('ps', ['--ppid', String(primary), '-o', 'pid='], { encoding: 'utf8' }).trim();
    const before = workers();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, longTail, async (m, p, q, h, tail) => {
        const target = `${p}${q || tail ? '?' : ''}${q}${tail}`;
        const lines = h.map(([k, v]) => `${k}: ${v}\r\n`).join('');
        const status = await statusOf(
          stack.gateway.port,
          `${m} ${target} HTTP/1.1\r\nHost: fuzz\r\n${lines}Connection: close\r\n\r\n`,
        );
        seen.set(status, (seen.get(status) ?? 0) + 1);
        return status < 500 || status === 503;
      }),
      { numRuns: NUM_RUNS },
    );
    // Something was exercised beyond 400s: streams started, routes answered.
    expect(seen.get(200)).toBeGreaterThan(0);
    expect(seen.get(400)).toBeGreaterThan(0);
    expect(workers()).toBe(before);
    expect((await getJson(`${stack.gateway.url}/health`)).status).toBe(200);

    // Every key under the prefix is one of ours, with a validated (lower-case 40 hex) stream id.
    const keys = await stack.redis!.keys(`${stack.prefix}:*`);
    const p = stack.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const ours = new RegExp(
      `^${p}:(stream:[0-9a-f]{40}:(metadata|owner|owner:epoch|buffer:index|buffer:chunk:\\d+|hls:segments|clients|clients:[0-9a-f-]{36})` +
        `|engine:127\\.0\\.0\\.1:\\d+:(streams|pending|down)|worker:[^:]+:\\d+:heartbeat|metrics:workers|log|\\{state\\}:[a-z_:]+|auth_failures:[0-9a-f.:]+)$`,
    );
    expect(keys.filter((k) => !ours.test(k))).toEqual([]);
  });
});
