// HLS end to end: real ffmpeg follows the live playlist across workers and an engine switch.

import { execFile } from 'node:child_process';
import { checkMediaPlaylist, checkReload, type ParsedPlaylist, parseMediaPlaylist } from '@acestream-proxy/hls';
import {
  capture,
  decodeErrors,
  getJson,
  makeSampleTs,
  type Stack,
  type StartedProcess,
  setFault,
  simSessions,
  startGateway,
  startStack,
  stopAll,
  tempDir,
  waitFor,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/** Runs ffmpeg as a player of `url` for `seconds` of media; resolves with its exit code and errors. */
function ffmpegPlays(url: string, seconds: number): Promise<{ code: number; errors: string }> {
  // A new connection per request, so the primary spreads one player's requests over the workers.
  const args = ['-v', 'error', '-http_persistent', '0', '-i', url, '-t', String(seconds), '-f', 'null', '-'];
  return new Promise((resolve) => {
    execFile('ffmpeg', args, { timeout: (seconds + 40) * 1000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, errors: stderr });
    });
  });
}

/** Opens a player session: the media playlist URL the multivariant playlist points at. */
async function openSession(gateway: StartedProcess, id: string): Promise<string> {
  const res = await fetch(`${gateway.url}/ace/manifest.m3u8?id=${id}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  const text = await res.text();
  expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+/);
  const media = text.trim().split('\n').at(-1)!;
  expect(media).toMatch(/^hls\/[0-9a-f]{40}\/[0-9a-f-]{36}\.[0-9a-f]{32}\/index\.m3u8$/);
  return `${gateway.url}/ace/${media}`;
}

async function playlist(url: string): Promise<ParsedPlaylist> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return parseMediaPlaylist(await res.text());
}

/** Reloads a live playlist every second until `until` settles, checking every reload as a validator would. */
async function watchPlaylist(url: string, until: Promise<unknown>) {
  const problems: string[] = [];
  const seen: ParsedPlaylist[] = [];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  while (!done) {
    const current = await playlist(url);
    problems.push(...checkMediaPlaylist(current));
    if (seen.length > 0) problems.push(...checkReload(seen.at(-1)!, current));
    seen.push(current);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return { problems, seen };
}

describe('HLS from the shared buffer, across two workers and two hosts', () => {
  const id = 'c0'.repeat(20);
  let stack: Stack;
  let host2: StartedProcess;

  beforeAll(async () => {
    const sample = await makeSampleTs(tempDir('hls'), 4);
    stack = await startStack({
      label: 'hls',
      workers: 2,
      simEnv: { SOURCE: 'file', SOURCE_FILE: sample },
      // 1 s segments (one GOP each; the segmenter's tests cover longer ones): the same number of
      // playlist reloads and segment requests as the 2 s default gives in half the playing time.
      env: { LOG_LEVEL: 'info', PROXY_HLS_TARGET_DURATION: '1' },
    });
    host2 = await stack.addGateway({ WORKERS: '1' });
  });
  afterAll(() => stack?.stop());

  it('ffmpeg follows the live playlist for 15 s (15 segments) across both workers and decodes without an error', async () => {
    const tsPlayer = await capture(stack.streamUrl(id));
    const played = ffmpegPlays(`${stack.gateway.url}/ace/manifest.m3u8?id=${id}`, 15);
    const own = await openSession(stack.gateway, id);
    const watched = await watchPlaylist(own, played);
    const { code, errors } = await played;
    expect(errors).toBe('');
    expect(code).toBe(0);
    expect(watched.problems).toEqual([]);
    const last = watched.seen.at(-1)!;
    expect(last.targetDuration).toBe(1);
    expect(last.mediaSequence).toBeGreaterThan(watched.seen[0]!.mediaSequence + 8);
    for (const s of last.segments) expect(s.durationSeconds).toBeCloseTo(1, 3);

    // The ffmpeg session was seen (registered) by both workers of the first host.
    const sessions = new Map<string, Set<string>>();
    for (const line of stack.gateway.output) {
      if (!line.includes('hls session seen')) continue;
      const { client_id, worker_id } = JSON.parse(line) as { client_id: string; worker_id: string };
      sessions.set(client_id, (sessions.get(client_id) ?? new Set()).add(worker_id));
    }
    expect(Math.max(...[...sessions.values()].map((w) => w.size))).toBe(2);

    // TS and HLS players share the one engine session; HLS sessions are players of the stream.
    const { body } = await getJson<{ clients: Array<{ kind: string }>; hls_session_count: number }>(
      `${stack.gateway.url}/proxy/streams/${id}`,
    );
    expect(body.clients.filter((c) => c.kind === 'ts')).toHaveLength(1);
    expect(body.hls_session_count).toBeGreaterThanOrEqual(1);
    expect((await simSessions(stack.sim)).started).toBe(1);
    tsPlayer.close();
  }, 90_000);

  it('serves the same segment byte for byte from either host, starting with PAT, PMT and a picture', async () => {
    const onFirst = await openSession(stack.gateway, id);
    const last = (await playlist(onFirst)).segments.at(-1)!.uri;
    const onSecond = onFirst.replace(stack.gateway.url, host2.url);
    const [a = Buffer.alloc(0), b] = await Promise.all(
      [onFirst, onSecond].map(async (url) => {
        const res = await fetch(url.replace('index.m3u8', last));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('video/mp2t');
        return Buffer.from(await res.arrayBuffer());
      }),
    );
    expect(a.length).toBeGreaterThan(10_000);
    expect(a.equals(b!)).toBe(true);
    // PID 0, then the PMT, then a video PES with the random access indicator.
    expect(a.readUInt16BE(1) & 0x1fff).toBe(0);
    expect(a[188 * 2 + 3]! & 0x20).toBe(0x20);
    expect(a[188 * 2 + 5]! & 0x40).toBe(0x40);
    expect(await decodeErrors(a)).toBe('');
  });

  it('an owner killed under HLS-only players is taken over: a discontinuity, and ffmpeg keeps decoding', async () => {
    const only = 'c1'.repeat(20);
    const played = ffmpegPlays(`${stack.gateway.url}/ace/manifest.m3u8?id=${only}`, 12);
    // Watched through the other host, which the kill does not touch.
    const own = (await openSession(stack.gateway, only)).replace(stack.gateway.url, host2.url);
    const watching = watchPlaylist(own, played);
    await waitFor(async () => (await playlist(own)).segments.length >= 3, { what: 'three segments', timeoutMs: 20_000 });
    const owner = await stack.redis!.get(stack.key('stream', only, 'owner'));
    process.kill(Number(owner!.split(':').pop()), 'SIGKILL');
    const watched = await watching;
    const { code, errors } = await played;
    expect(code).toBe(0);
    // A request in flight on the killed worker may fail (ffmpeg says so and retries); no decode error.
    expect(errors.split('\n').filter((l) => /h264|aac|decod/i.test(l))).toEqual([]);
    expect(watched.problems).toEqual([]);
    expect(watched.seen.some((p) => p.segments.some((s) => s.discontinuity))).toBe(true);
    expect(await stack.redis!.get(stack.key('stream', only, 'owner'))).not.toBe(owner);
  }, 90_000);

  it('answers 404 for a segment not in the buffer and 400 for what it never handed out', async () => {
    const media = await openSession(stack.gateway, id);
    const missing = await fetch(media.replace('index.m3u8', '99999.ts'));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('segment_not_found');
    const badSession = await fetch(`${stack.gateway.url}/ace/hls/${id}/not-a-session/index.m3u8`);
    expect(badSession.status).toBe(400);
    const badId = await fetch(`${stack.gateway.url}/ace/manifest.m3u8?id=123`);
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { error: string }).error).toBe('bad_stream_id');
  });
});

/**
 * The engine-switch scene plays 12 s in real time on a stack of its own: it starts with the file
 * and plays while the first scenes run (they share no process), and its test checks what it saw.
 * The scenes are asserted in their own tests; what they do is timed by the media, not the CPU.
 */
async function engineSwitchScene(stack: Stack) {
  const id = 'd1'.repeat(20);
  // Four 1 s segments from the first engine, then the switch, then eight from the second.
  await setFault(stack.sims[0]!, id, { stall_after_s: 4 });
  const played = ffmpegPlays(`${stack.gateway.url}/ace/manifest.m3u8?id=${id}`, 12);
  const own = await openSession(stack.gateway, id);
  const watched = await watchPlaylist(own, played);
  return { ...(await played), watched };
}

/** The session timeout: 4 target durations (1 s each here). */
const SESSION_TIMEOUT_MS = 4000;

/**
 * An HLS player's session keeping its stream, then letting it go (~12 s of polling and waiting,
 * most of it idle): on a stack of its own, started with the file like the engine-switch scene.
 */
async function sessionsScene(stack: Stack) {
  const id = 'a5'.repeat(20);
  const media = await openSession(stack.gateway, id);
  // Polling for longer than the session timeout keeps the session and the stream.
  const until = Date.now() + SESSION_TIMEOUT_MS + 500;
  while (Date.now() < until) {
    await playlist(media);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { body } = await getJson<{ clients: Array<{ kind: string }> }>(`${stack.gateway.url}/proxy/streams/${id}`);
  const whilePolled = { clients: body.clients, activeSessions: (await simSessions(stack.sim)).active };
  const stoppedAt = Date.now();
  await waitFor(async () => (await simSessions(stack.sim)).stopped === 1, {
    what: 'the engine session to stop',
    timeoutMs: 15_000,
  });
  const stoppedAfterMs = Date.now() - stoppedAt;
  const statusAfter = (await fetch(`${stack.gateway.url}/proxy/streams/${id}`)).status;
  return { whilePolled, stoppedAfterMs, statusAfter };
}

let troubleStack: Promise<Stack>;
let engineSwitch: ReturnType<typeof engineSwitchScene>;
let sessionsStack: Promise<Stack>;
let sessionsLapse: ReturnType<typeof sessionsScene>;
beforeAll(() => {
  sessionsStack = startStack({
    label: 'hls-sessions',
    redis: 'none',
    env: { PROXY_HLS_TARGET_DURATION: '1', PROXY_HEARTBEAT_INTERVAL: '1' },
  });
  sessionsLapse = sessionsStack.then(sessionsScene);
  sessionsLapse.catch(() => {});
  troubleStack = makeSampleTs(tempDir('hls-switch'), 4).then((sample) =>
    startStack({
      label: 'hls-switch',
      redis: 'none',
      sims: 2,
      simEnv: { SOURCE: 'file', SOURCE_FILE: sample },
      env: { PROXY_NO_DATA_TIMEOUT: '1', PROXY_MAX_RETRIES: '0', PROXY_HLS_TARGET_DURATION: '1' },
    }),
  );
  engineSwitch = troubleStack.then(engineSwitchScene);
  // Awaited by its test; a failure before then is that test's, not an unhandled rejection.
  engineSwitch.catch(() => {});
});
afterAll(async () => {
  // The scenes run on their own (their tests only read what they recorded): they end first.
  await Promise.allSettled([engineSwitch, sessionsLapse]);
  await Promise.all([troubleStack, sessionsStack].map(async (stack) => (await stack.catch(() => null))?.stop()));
});

describe('HLS through engine trouble', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await troubleStack;
  });

  it('an engine switch shows as a discontinuity and ffmpeg keeps decoding through it', async () => {
    const { code, errors, watched } = await engineSwitch;
    expect(code).toBe(0);
    expect(errors).toBe('');
    expect(watched.problems).toEqual([]);
    const switched = watched.seen.find((p) => p.segments.some((s) => s.discontinuity));
    expect(switched).toBeDefined();
    expect((await simSessions(stack.sims[1]!)).started).toBe(1);
  }, 90_000);

  it('answers 502 with the engine reason, and 503 with Retry-After when no engine can be reached', async () => {
    const refused = 'e2'.repeat(20);
    await setFault(stack.sim, refused, { error: 'content is not available' });
    await setFault(stack.sims[1]!, refused, { error: 'content is not available' });
    const res = await fetch(`${stack.gateway.url}/ace/manifest.m3u8?infohash=${refused}`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toContain('content is not available');

    const lonely = await startGateway(null, {});
    try {
      const none = await fetch(`${lonely.url}/ace/manifest.m3u8?content_id=${'f3'.repeat(20)}`);
      expect(none.status).toBe(503);
      expect(none.headers.get('retry-after')).toBe('5');
    } finally {
      await stopAll(lonely);
    }
  });
});

describe('HLS sessions are players', () => {
  it('keep the engine session while they poll, and let it stop a few target durations after they stop', async () => {
    const seen = await sessionsLapse;
    expect(seen.whilePolled.clients).toEqual([expect.objectContaining({ kind: 'hls' })]);
    expect(seen.whilePolled.activeSessions).toBe(1);
    // Not before the session timed out and the grace period passed.
    expect(seen.stoppedAfterMs).toBeGreaterThan(SESSION_TIMEOUT_MS - 500);
    expect(seen.statusAfter).toBe(404);
  }, 40_000);
});
