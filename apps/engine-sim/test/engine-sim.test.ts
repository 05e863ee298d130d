import { type EngineSim, ProbeScanner, startEngineSim } from '@acestream-proxy/engine-sim';
import {
  type Capture,
  capture,
  decodeErrors,
  ffprobe,
  getJson,
  makeSampleTs,
  startNodeProcess,
  tempDir,
  waitFor,
  waitForSteady,
} from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

interface GetStream {
  response: { playback_url: string; stat_url: string; command_url: string; playback_session_id: string; is_live: number } | null;
  error: string | null;
}

async function open(sim: EngineSim, id: string, pid: string, extra = ''): Promise<GetStream> {
  return (await getJson<GetStream>(`${sim.url}/ace/getstream?id=${id}&format=json&pid=${pid}${extra}`)).body;
}

async function play(sim: EngineSim, id: string, pid = 'p1', extra = ''): Promise<{ session: GetStream; player: Capture }> {
  const session = await open(sim, id, pid, extra);
  return { session, player: await capture(session.response!.playback_url) };
}

describe('engine-sim (synthetic source)', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ port: 0, bitrate: 2_000_000 });
  });
  afterAll(() => sim.close());

  it('answers getstream with the engine JSON shape', async () => {
    const body = await open(sim, 'ABC', 'pid-1');
    expect(body.error).toBeNull();
    expect(body.response!.playback_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ace\/r\/abc\/[0-9a-f]{40}$/);
    expect(body.response!.stat_url).toContain('/ace/stat/abc/');
    expect(body.response!.command_url).toContain('/ace/cmd/abc/');
    expect(body.response!.is_live).toBe(1);
    const stat = await getJson<{ response: { status: string; peers: number } }>(body.response!.stat_url);
    expect(stat.body.response.status).toBe('dl');
    const version = await getJson<{ result: { version: string } }>(`${sim.url}/webui/api/service?method=get_version`);
    expect(version.body.result.version).toBe('3.1.5');
  });

  it('redirects to the playback URL without format=json', async () => {
    const res = await fetch(`${sim.url}/ace/getstream?id=redirect1&pid=x`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/\/ace\/r\/redirect1\//);
  });

  it('stops the previous reader when a new pid asks for the same content, like a real engine', async () => {
    const before = sim.stats();
    const { player } = await play(sim, 'replace1', 'first');
    await player.waitForBytes(10_000);
    await open(sim, 'replace1', 'second');
    await player.waitForEnd(3000);
    const after = sim.stats();
    expect(after.started - before.started).toBe(2);
    expect(after.stop_reasons.replaced - before.stop_reasons.replaced).toBe(1);
    const same = await open(sim, 'replace1', 'second');
    expect(sim.stats().started - before.started).toBe(2);
    expect(same.response!.command_url).toBeTruthy();
  });

  it('method=stop ends the session and its reader', async () => {
    const { session, player } = await play(sim, 'stop1');
    await player.waitForBytes(10_000);
    const res = await getJson<{ response: string }>(`${session.response!.command_url}?method=stop`);
    expect(res.body.response).toBe('ok');
    await player.waitForEnd(3000);
    expect(sim.stats().sessions.some((s) => s.id === 'stop1')).toBe(false);
  });

  it('answers error JSON for an error fault', async () => {
    sim.setFault('broken1', { error: 'content unavailable' });
    const body = await open(sim, 'broken1', 'x');
    expect(body).toEqual({ response: null, error: 'content unavailable' });
  });

  it('delays the first byte by the prebuffer fault', async () => {
    const { player } = await play(sim, 'slow1', 'p', '&prebuffer_ms=800');
    await player.waitForBytes(188, 3000);
    expect(player.firstByteMs).toBeGreaterThanOrEqual(750);
    player.close();
  });

  it('ends the stream on an EOF fault and stops sending on a stall fault', async () => {
    const eof = await play(sim, 'eof1', 'p', '&eof_after_s=0.5');
    await eof.player.waitForEnd(3000);
    expect(sim.stats().stop_reasons.eof).toBeGreaterThanOrEqual(1);

    const stall = await play(sim, 'stall1', 'p', '&stall_after_s=0.5');
    await stall.player.waitForBytes(50_000, 3000);
    // At 2 Mbit/s bytes arrive every 10 ms: a length unchanged over 300 ms means it stalled.
    const last = await waitForSteady(() => stall.player.length, { what: 'bytes to stop', timeoutMs: 3000 });
    expect(last).toBeGreaterThan(100_000);
    expect(last).toBeLessThan(250_000);
    expect(stall.player.ended).toBe(false);
    stall.player.close();
  });

  it('paces the stream at the configured bitrate, with gapless probes and a valid TS', async () => {
    const { player } = await play(sim, 'rate1');
    await player.waitForBytes(1000);
    const t0 = performance.now();
    const b0 = player.length;
    await player.waitForBytes(b0 + 750_000, 6000);
    const bitsPerSecond = ((player.length - b0) * 8) / ((performance.now() - t0) / 1000);
    expect(bitsPerSecond).toBeGreaterThan(2_000_000 * 0.85);
    expect(bitsPerSecond).toBeLessThan(2_000_000 * 1.15);
    player.close();

    const bytes = player.bytes();
    const probes = new ProbeScanner().push(bytes);
    expect(probes.length).toBeGreaterThan(50);
    expect(probes.map((p) => p.seq)).toEqual(probes.map((_, i) => i));
    expect(probes[probes.length - 1]!.bytesBefore).toBeLessThan(bytes.length);
    const probe = await ffprobe(bytes);
    expect(probe.programs).toHaveLength(1);
    expect(probe.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264' });
  });
});

describe('engine-sim (file source)', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    const file = await makeSampleTs(tempDir('sample'), 1);
    sim = await startEngineSim({ port: 0, source: 'file', sourceFile: file });
  });
  afterAll(() => sim.close());

  it('loops a real H.264/AAC file seamlessly: decodes without errors across loops', async () => {
    const { player } = await play(sim, 'file1');
    // Three loops of the 1 s file (one GOP each), in real time: two seams to decode across.
    const stats = () => sim.stats().sessions.find((s) => s.id === 'file1');
    await waitFor(() => (stats()?.bytes_sent ?? 0) > 0, { what: 'bytes' });
    const t0 = performance.now();
    await waitFor(() => performance.now() - t0 > 3000, { what: '3 s of stream', timeoutMs: 6000, intervalMs: 100 });
    player.close();
    const bytes = player.bytes();
    expect(await decodeErrors(bytes)).toBe('');
    const probe = await ffprobe(bytes);
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const probes = new ProbeScanner().push(bytes);
    expect(probes.map((p) => p.seq)).toEqual(probes.map((_, i) => i));
  });
});

describe('engine-sim as a process', () => {
  it('reports its port on stdout and exits 0 on SIGTERM', async () => {
    const proc = await startNodeProcess('apps/engine-sim/dist/main.js', { env: { BITRATE: '1000000' } });
    const sessions = await getJson<{ started: number }>(`${proc.url}/sim/sessions`);
    expect(sessions.body.started).toBe(0);
    expect(await proc.stop()).toBe(0);
  });

  it('exits 1 naming a bad variable', async () => {
    await expect(startNodeProcess('apps/engine-sim/dist/main.js', { env: { BITRATE: 'fast' } })).rejects.toThrow(
      /Invalid BITRATE="fast"/,
    );
  });
});
