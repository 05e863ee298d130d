// Kodi as a real client (`pnpm test:players`, not in the default suite: about half a minute, and
// Kodi is a large install): its IPTV Simple Client loads /playlist.m3u and /epg.xml from a
// gateway, shows what is on now, and plays a channel, all checked over Kodi's JSON-RPC. Kodi runs
// under Xvfb as the scratch user `acevlc` (Debian: kodi, kodi-pvr-iptvsimple, xvfb).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, getJson, type Stack, startStack, tempDir, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const [A, B, C] = ['a7', 'b8', 'c9'].map((p) => p.repeat(20)) as [string, string, string];
const HOUR = 3_600_000;
const USER = 'acevlc';
const xmltvTime = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)} +0000`;

function commandExists(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A guide whose programmes run now; News 24's id is not the playlist's (it is matched by name). */
function guide(at: number): string {
  const channels: Array<[string, string, string]> = [
    ['sport.hd', 'Sport HD', 'The Match'],
    ['movies.tv', 'Movies', 'A Film'],
    ['news.elsewhere', 'News 24', 'Headlines'],
  ];
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<tv>'];
  for (const [id, name] of channels) lines.push(`<channel id="${id}"><display-name>${name}</display-name></channel>`);
  for (const [id, , title] of channels) {
    lines.push(
      `<programme start="${xmltvTime(at - HOUR)}" stop="${xmltvTime(at + HOUR)}" channel="${id}"><title>${title}</title></programme>`,
    );
  }
  return `${lines.join('\n')}\n</tv>\n`;
}

/** Kodi's home: its web server (JSON-RPC) on `port` without a login, IPTV Simple pointed at the gateway. */
function kodiHome(dir: string, port: number, gateway: string): string {
  const home = join(dir, 'home');
  const userdata = join(home, '.kodi', 'userdata');
  mkdirSync(join(userdata, 'addon_data', 'pvr.iptvsimple'), { recursive: true });
  writeFileSync(
    join(userdata, 'guisettings.xml'),
    `<settings version="2">
  <setting id="services.webserver">true</setting>
  <setting id="services.webserverport">${port}</setting>
  <setting id="services.webserverauthentication">false</setting>
</settings>
`,
  );
  // Remote paths (type 1), not cached, so Kodi reads the proxy's current copies.
  writeFileSync(
    join(userdata, 'addon_data', 'pvr.iptvsimple', 'settings.xml'),
    `<settings version="2">
  <setting id="m3uPathType">1</setting>
  <setting id="m3uUrl">${gateway}/playlist.m3u</setting>
  <setting id="m3uCache">false</setting>
  <setting id="epgPathType">1</setting>
  <setting id="epgUrl">${gateway}/epg.xml</setting>
  <setting id="epgCache">false</setting>
</settings>
`,
  );
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  const chownTree = (path: string) => {
    chownSync(path, uid, gid);
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name));
  };
  chownSync(dir, uid, gid);
  chownTree(home);
  return home;
}

describe('Kodi (IPTV Simple Client) on the proxy', () => {
  const dir = tempDir('kodi-players');
  let stack: Stack;
  let kodi: ChildProcess | null = null;
  let rpcUrl = '';

  async function rpc<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const { body } = await getJson<{ result?: T; error?: unknown }>(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    if (body.error !== undefined) throw new Error(`Kodi ${method}: ${JSON.stringify(body.error)}`);
    return body.result as T;
  }

  beforeAll(async () => {
    const missing = ['kodi', 'xvfb-run'].filter((c) => !commandExists(c));
    if (missing.length > 0) {
      throw new Error(`${missing.join(', ')} not found: apt-get install -y kodi kodi-pvr-iptvsimple xvfb`);
    }
    writeFileSync(join(dir, 'guide.xml'), guide(Date.now()));
    writeFileSync(
      join(dir, 'list.m3u'),
      [
        '#EXTM3U',
        '#EXTINF:-1 tvg-id="sport.hd",Sport HD',
        `acestream://${A}`,
        '#EXTINF:-1 tvg-id="movies.tv",Movies',
        `acestream://${B}`,
        '#EXTINF:-1,News 24',
        `acestream://${C}`,
        '',
      ].join('\n'),
    );
    stack = await startStack({
      label: 'kodi',
      workers: 2,
      env: { WORKERS: '2', PLAYLIST_SOURCES: join(dir, 'list.m3u'), EPG_SOURCES: join(dir, 'guide.xml') },
    });
    await waitFor(async () => (await fetch(`${stack.gateway.url}/epg.xml`)).status === 200, { what: 'the guide stored' });
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}/jsonrpc`;
    const home = kodiHome(dir, port, stack.gateway.url);
    // Its own process group, so Xvfb and Kodi stop with it.
    kodi = spawn(
      'runuser',
      [
        '-u',
        USER,
        '--',
        'env',
        `HOME=${home}`,
        'xvfb-run',
        '-a',
        '-s',
        '-screen 0 1280x720x24',
        'kodi',
        '--standalone',
        '--windowing=x11',
      ],
      { cwd: dir, detached: true, stdio: 'ignore' },
    );
    await waitFor(() => rpc<string>('JSONRPC.Ping').catch(() => null), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "Kodi's JSON-RPC",
    });
    // A fresh profile has the system's add-ons disabled.
    await rpc('Addons.SetAddonEnabled', { addonid: 'pvr.iptvsimple', enabled: true });
  }, 120_000);

  afterAll(async () => {
    if (kodi?.pid && kodi.exitCode === null && kodi.signalCode === null) {
      await rpc('Application.Quit').catch(() => {});
      const exited = new Promise((resolve) => kodi?.once('exit', resolve));
      const timer = setTimeout(() => {
        try {
          process.kill(-kodi!.pid!, 'SIGKILL');
        } catch {
          // Gone between the check and now.
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await stack?.stop();
  });

  interface Channel {
    channelid: number;
    channelnumber: number;
    label: string;
    broadcastnow?: { title: string };
  }

  it('lists the playlist channels with what is on now from /epg.xml, and plays one', async () => {
    const channels = await waitFor(
      async () => {
        const { channels: found = [] } = await rpc<{ channels?: Channel[] }>('PVR.GetChannels', {
          channelgroupid: 'alltv',
          properties: ['channelnumber', 'broadcastnow'],
        });
        return found.length === 3 && found.every((c) => c.broadcastnow) ? found : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'Kodi listing three channels with their programmes' },
    );
    const byName = new Map(channels.map((c) => [c.label, c]));
    expect([...byName.keys()].sort()).toEqual(['Movies', 'News 24', 'Sport HD']);
    expect(byName.get('Sport HD')!.broadcastnow!.title).toBe('The Match');
    // Matched through the id the proxy gave it (ace.<GuideNumber>), in the playlist and the guide.
    expect(byName.get('News 24')!.broadcastnow!.title).toBe('Headlines');

    await rpc('Player.Open', { item: { channelid: byName.get('Sport HD')!.channelid } });
    const playing = await waitFor(
      async () => {
        const players = await rpc<Array<{ playerid: number }>>('Player.GetActivePlayers');
        if (players.length === 0) return null;
        const props = await rpc<{ speed: number; currentvideostream: { codec?: string } }>('Player.GetProperties', {
          playerid: players[0]!.playerid,
          properties: ['speed', 'currentvideostream'],
        });
        return props.speed === 1 && props.currentvideostream.codec ? props : null;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'Kodi playing the channel' },
    );
    expect(playing.currentvideostream.codec).toBe('h264');
    const { body } = await getJson<{ streams: Array<{ id: string; clients: Array<{ user_agent: string }> }> }>(
      `${stack.gateway.url}/proxy/streams`,
    );
    const stream = body.streams.find((s) => s.id === A);
    expect(stream?.clients.some((c) => /Kodi/.test(c.user_agent))).toBe(true);
    await rpc('Player.Stop', { playerid: 1 }).catch(() => {});
  }, 120_000);
});
