// The emulated HDHomeRun end to end: a two-worker gateway on Redis, its lineup played by ffprobe
// on the engine session a getstream player already holds, and GuideNumbers that survive a restart.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Stack, simSessions, startStack, tempDir, timedPlayer, waitFor } from '@acestream-proxy/test-utils';
import { isValidDeviceId } from '@acestream-proxy/tuner';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const [A, B, C] = ['a1', 'b2', 'c3'].map((p) => p.repeat(20)) as [string, string, string];

interface LineupEntry {
  GuideNumber: string;
  GuideName: string;
  URL: string;
}

async function lineup(url: string): Promise<LineupEntry[]> {
  return (await (await fetch(`${url}/lineup.json`)).json()) as LineupEntry[];
}

describe('HDHomeRun tuner on a two-worker gateway in Redis mode', () => {
  let stack: Stack;
  const dir = tempDir('tuner-e2e');
  const file = join(dir, 'list.m3u');

  beforeAll(async () => {
    writeFileSync(file, `#EXTM3U\n#EXTINF:-1 tvg-id="sport",Sport HD\nacestream://${A}\n#EXTINF:-1 tvg-chno="7",News\n${B}\n`);
    stack = await startStack({
      label: 'tuner',
      workers: 2,
      env: { WORKERS: '2', PLAYLIST_SOURCES: file, PLAYLIST_REFRESH_MINUTES: '0.01', HDHR_FRIENDLY_NAME: 'Test Tuner' },
    });
  });
  afterAll(() => stack.stop());

  it('describes a valid tuner whose tuner count is engines × ENGINE_MAX_STREAMS', async () => {
    const discover = (await (await fetch(`${stack.gateway.url}/discover.json`)).json()) as Record<string, unknown>;
    expect(isValidDeviceId(String(discover.DeviceID))).toBe(true);
    expect(discover).toMatchObject({ FriendlyName: 'Test Tuner', TunerCount: 3, LineupURL: `${stack.gateway.url}/lineup.json` });
    // Every worker tells the same DeviceID (the first one stored wins).
    for (let i = 0; i < 6; i++) {
      const again = (await (await fetch(`${stack.gateway.url}/discover.json`)).json()) as Record<string, unknown>;
      expect(again.DeviceID).toBe(discover.DeviceID);
    }
    expect((await fetch(`${stack.gateway.url}/lineup.post?scan=start`, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(`${stack.gateway.url}/lineup_status.json`)).json()).toMatchObject({ ScanInProgress: 0 });
    expect(await (await fetch(`${stack.gateway.url}/device.xml`)).text()).toContain(
      `<serialNumber>${discover.DeviceID}</serialNumber>`,
    );
  });

  it('a lineup URL plays under ffprobe on the engine session a getstream player holds', async () => {
    const entries = await lineup(stack.gateway.url);
    expect(entries.map((e) => [e.GuideNumber, e.GuideName])).toEqual([
      ['1', 'Sport HD'],
      ['7', 'News'],
    ]);
    const player = await timedPlayer(`${stack.gateway.url}/ace/getstream?id=${A}`);
    try {
      await player.dataAfter(0, 15_000);
      const { stdout } = await run(
        'ffprobe',
        ['-v', 'error', '-probesize', '500000', '-analyzeduration', '1000000', '-show_streams', '-of', 'json', entries[0]!.URL],
        { timeout: 30_000 },
      );
      const codecs = (JSON.parse(stdout) as { streams: Array<{ codec_name: string }> }).streams.map((s) => s.codec_name);
      expect(codecs.length).toBeGreaterThan(0);
      expect(await simSessions(stack.sim)).toMatchObject({ started: 1 });
    } finally {
      player.close();
    }
    const missing = await fetch(`${stack.gateway.url}/auto/v99`);
    expect(missing.status).toBe(404);
  });

  it('keeps GuideNumbers through a restart and a refresh that reorders and adds channels', async () => {
    const before = await lineup(stack.gateway.url);
    await stack.gateway.stop();
    writeFileSync(file, `#EXTM3U\n#EXTINF:-1,New\n${C}\n#EXTINF:-1 tvg-chno="7",News\n${B}\n#EXTINF:-1,Sport HD\n${A}\n`);
    const gateway = await stack.addGateway({ WORKERS: '2', PLAYLIST_SOURCES: file, PLAYLIST_REFRESH_MINUTES: '0.01' });
    const after = await waitFor(
      async () => {
        const entries = await lineup(gateway.url);
        return entries.length === 3 ? entries : null;
      },
      { timeoutMs: 15_000, what: 'the refreshed lineup with the new channel' },
    );
    const numberOf = (entries: LineupEntry[], name: string) => entries.find((e) => e.GuideName === name)?.GuideNumber;
    expect(numberOf(after, 'Sport HD')).toBe(numberOf(before, 'Sport HD'));
    expect(numberOf(after, 'News')).toBe('7');
    expect(numberOf(after, 'New')).toBe('2');
    expect(await stack.redis.hget(stack.key('{state}', 'guide_numbers'), A)).toBe('1');
  });
});
