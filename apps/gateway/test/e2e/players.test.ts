// Player experience end to end: clean joins on a real H.264/AAC stream, and real players' requests.

import {
  type Capture,
  capture,
  completeFrames,
  decodeErrors,
  getJson,
  makeSampleTs,
  type Stack,
  type StartedProcess,
  simSessions,
  startStack,
  tempDir,
  waitFor,
  waitForSteady,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const ID = '9a'.repeat(20);

/** Offset of the first video PES start that is not a random access point (a P-frame). */
function midGopOffset(bytes: Buffer): number {
  let seenKeyframe = false;
  for (let off = 0; off + 188 <= bytes.length; off += 188) {
    const pusi = (bytes[off + 1]! & 0x40) !== 0;
    const hasAf = (bytes[off + 3]! & 0x20) !== 0;
    const rai = hasAf && bytes[off + 4]! > 0 && (bytes[off + 5]! & 0x40) !== 0;
    const p = hasAf ? off + 5 + bytes[off + 4]! : off + 4;
    const video = pusi && bytes[p] === 0 && bytes[p + 1] === 0 && bytes[p + 2] === 1 && (bytes[p + 3]! & 0xf0) === 0xe0;
    if (!video) continue;
    if (rai) seenKeyframe = true;
    else if (seenKeyframe) return off;
  }
  return -1;
}

describe('clean joins on a real H.264/AAC channel', () => {
  let t: Stack;
  let sim: StartedProcess;
  let gateway: StartedProcess;
  let anchor: Capture;

  beforeAll(async () => {
    const sample = await makeSampleTs(tempDir('players'), 4);
    t = await startStack({ label: 'players', simEnv: { SOURCE: 'file', SOURCE_FILE: sample } });
    ({ sim, gateway } = t);
    // A first viewer keeps the channel running while others come and go.
    anchor = await capture(`${gateway.url}/ace/getstream?id=${ID}`);
    await anchor.waitForBytes(100_000, 10_000);
  });

  afterAll(async () => {
    anchor?.close();
    await t.stop();
  });

  it('20 players joining at random moments all decode without a single error', async () => {
    const joins = Array.from({ length: 20 }, async (_, i) => {
      // Spread over more than one keyframe interval (1 s) so joins land everywhere in a GOP.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2500 + i));
      const player = await capture(`${gateway.url}/ace/getstream?id=${ID}`);
      await player.waitForBytes(150_000, 10_000);
      player.close();
      return player.bytes();
    });
    const captures = await Promise.all(joins);
    const errors = await Promise.all(captures.map((bytes) => decodeErrors(bytes)));
    expect(errors).toEqual(captures.map(() => ''));
    expect((await simSessions(sim)).started).toBe(1);

    // The same check on a naive join (cut mid-GOP) reports errors: the check can fail.
    const clean = captures[0]!;
    const cut = midGopOffset(clean);
    expect(cut).toBeGreaterThan(0);
    expect(await decodeErrors(clean.subarray(cut))).not.toBe('');
  });

  it('a joiner receives PAT and PMT before anything else', async () => {
    const player = await capture(`${gateway.url}/ace/getstream?id=${ID}`);
    await player.waitForBytes(188 * 3);
    const bytes = completeFrames(player.bytes());
    player.close();
    const pid = (off: number) => ((bytes[off + 1]! & 0x1f) << 8) | bytes[off + 2]!;
    expect(pid(0)).toBe(0);
    expect(pid(188)).toBe(0x1000); // ffmpeg's PMT PID
  });
});

/** Offsets of the PAT packets the proxy inserted (they carry the discontinuity indicator). */
function insertedHeaders(bytes: Buffer): number[] {
  const found: number[] = [];
  for (let off = 0; off + 188 <= bytes.length; off += 188) {
    const pat = bytes[off + 1] === 0x40 && bytes[off + 2] === 0;
    if (pat && bytes[off + 3]! & 0x20 && bytes[off + 4]! > 0 && bytes[off + 5]! & 0x80) found.push(off);
  }
  return found;
}

describe('a player that stalls past its buffer', () => {
  let stack: Stack;
  let gateway: StartedProcess;
  const id = '5d'.repeat(20);

  beforeAll(async () => {
    const heavy = await makeSampleTs(tempDir('jump'), 4, { size: '1280x720', qp: 14 });
    stack = await startStack({
      redis: 'none',
      simEnv: { SOURCE: 'file', SOURCE_FILE: heavy },
      env: { PROXY_CLIENT_BUFFER_SECONDS: '1', PROXY_HEARTBEAT_INTERVAL: '1' },
    });
    gateway = stack.gateway;
  });
  afterAll(() => stack.stop());

  it('jumps to the live edge on a picture and decodes cleanly after the jump', async () => {
    const url = `${gateway.url}/ace/getstream?id=${id}`;
    const anchor = await capture(url);
    const player = await capture(url, { 'User-Agent': 'stalling-player' });
    await player.waitForBytes(500_000, 10_000);
    const stream = async () =>
      (
        await getJson<{ buffer_index: number; clients: Array<{ user_agent: string; bytes_sent: number; skips: number }> }>(
          `${gateway.url}/proxy/streams/${id}`,
        )
      ).body;
    const record = async () => (await stream()).clients.find((c) => c.user_agent === 'stalling-player')!;
    player.pause();
    // Stalled once the proxy's count of bytes sent to it stops moving between heartbeats...
    await waitForSteady(async () => (await record()).bytes_sent, {
      what: 'the proxy to stop sending to the stalled player',
      timeoutMs: 30_000,
      intervalMs: 1100,
    });
    // ...and past its allowance once the stream has moved on 30 chunks (3 s at the 100 ms flush,
    // more than the 1 s join window + 1 s buffer).
    const stalledAt = (await stream()).buffer_index;
    await waitFor(async () => (await stream()).buffer_index >= stalledAt + 30, { what: 'the stream to move on 3 s' });
    player.resume();
    await waitFor(async () => (await record()).skips >= 1, { what: 'the jump to be counted', timeoutMs: 10_000 });
    const afterJump = player.length;
    await player.waitForBytes(afterJump + 2_000_000, 10_000);
    player.close();
    anchor.close();

    const bytes = player.bytes();
    const headers = insertedHeaders(bytes);
    expect(headers.length).toBeGreaterThanOrEqual(2); // the join, then the jump
    expect(await decodeErrors(bytes.subarray(headers[headers.length - 1]!))).toBe('');
  });
});

// Request headers as the players send them (captured from each player's own requests).
const PLAYERS: Array<[string, Record<string, string>]> = [
  ['VLC', { 'User-Agent': 'VLC/3.0.20 LibVLC/3.0.20', Range: 'bytes=0-', 'Icy-MetaData': '1', Accept: '*/*' }],
  ['mpv', { 'User-Agent': 'libmpv', Range: 'bytes=0-', 'Icy-MetaData': '1', Accept: '*/*' }],
  ['ffmpeg', { 'User-Agent': 'Lavf/60.16.100', Range: 'bytes=0-', 'Icy-MetaData': '1', Accept: '*/*' }],
  [
    'Kodi',
    {
      'User-Agent': 'Kodi/21.0 (X11; Linux x86_64) App_Bitness/64 Version/21.0',
      Accept: '*/*',
      'Accept-Charset': 'UTF-8,*;q=0.8',
    },
  ],
  ['Jellyfin reconnect', { 'User-Agent': 'Jellyfin-Server/10.9.11', Range: 'bytes=1048576-', Accept: '*/*' }],
  ['Threadfin', { 'User-Agent': 'Threadfin', Accept: '*/*' }],
  ['Dispatcharr', { 'User-Agent': 'Dispatcharr/0.5', Connection: 'keep-alive' }],
  ['browser', { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', Accept: '*/*' }],
];

describe("real players' requests", () => {
  let stack: Stack;
  let sim: StartedProcess;
  let gateway: StartedProcess;
  const id = '7b'.repeat(20);

  beforeAll(async () => {
    stack = await startStack({ redis: 'none' });
    ({ sim, gateway } = stack);
  });
  afterAll(() => stack.stop());

  it('HEAD probes (Kodi, Jellyfin) get the stream headers and open no engine session', async () => {
    for (const [, headers] of PLAYERS) {
      const res = await fetch(`${gateway.url}/ace/getstream?id=${id}`, { method: 'HEAD', headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp2t');
    }
    expect((await simSessions(sim)).started).toBe(0);
  });

  it('every player gets a live 200 stream with the right headers, all through one engine session', async () => {
    const players = await Promise.all(PLAYERS.map(([, headers]) => capture(`${gateway.url}/ace/getstream?id=${id}`, headers)));
    for (const [i, p] of players.entries()) {
      const name = PLAYERS[i]![0];
      expect([name, p.status]).toEqual([name, 200]);
      expect(p.headers['content-type']).toBe('video/mp2t');
      expect(p.headers['content-length']).toBeUndefined();
      expect(p.headers['accept-ranges']).toBe('none');
      expect(p.headers['cache-control']).toBe('no-store');
      expect(p.headers['icy-metaint']).toBeUndefined(); // no ICY metadata mixed into TS
    }
    await Promise.all(players.map((p) => p.waitForBytes(100_000)));
    const sessions = await simSessions(sim);
    expect(sessions.started).toBe(1);
    for (const p of players) p.close();
    await waitFor(async () => (await simSessions(sim)).active === 0, { what: 'the session to stop' });
  });
});
