// The status page in a real browser (headless Chromium): it lists a stream and its players within
// two seconds, draws the throughput sparkline, and dropping a player or stopping the stream from it
// ends their responses.
/// <reference lib="dom" />

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Capture, capture, type Stack, startStack } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers.js';

const ID = 'c'.repeat(40);
const API_KEY = 'status-page-test-key';
const OUTPUT = fileURLToPath(new URL('../output', import.meta.url));

/** Whether the sparkline's canvas has any painted pixel. */
function sparklineDrawn(page: Page, id: string): Promise<boolean> {
  return page.evaluate((streamId) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`tbody[data-stream-id="${streamId}"] td.sparkline canvas`);
    if (!canvas || canvas.width === 0) return false;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) return true;
    return false;
  }, id);
}

/** The client id the page shows for the player with this user agent. */
async function waitForClientOf(page: Page, id: string, agent: string): Promise<string> {
  const row = page.locator(`tbody[data-stream-id="${id}"] tr[data-client-id]`, { hasText: agent });
  await row.waitFor({ timeout: 2000 });
  return (await row.getAttribute('data-client-id'))!;
}

describe('the status page in headless Chromium', () => {
  let stack: Stack;
  let browser: BrowserContext;
  let profile: string;
  const players: Capture[] = [];

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'status-page-chromium-'));
    [stack, browser] = await Promise.all([
      startStack({
        label: 'status-page',
        workers: 2,
        // The engine's peers polled every 0.5 s instead of 5 s: the page shows them sooner.
        env: { PROXY_API_KEY: API_KEY, PROXY_HEARTBEAT_INTERVAL: '1', PROXY_STAT_INTERVAL_MS: '500' },
      }),
      // A persistent context is how playwright takes a fresh --user-data-dir of our own.
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1440, height: 720 },
      }),
    ]);
  });

  afterAll(async () => {
    for (const p of players) p.close();
    await browser?.close();
    await stack?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows the stream and its three players, a sparkline, and drops a player and stops the stream with the API key', async () => {
    const agents = ['VLC/3.0.20 LibVLC/3.0.20', 'Kodi/21.0 (X11; Linux x86_64)', 'Lavf/60.16.100'];
    for (const agent of agents) players.push(await capture(stack.streamUrl(ID), { 'user-agent': agent }));
    await Promise.all(players.map((p) => p.waitForBytes(20_000)));

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // The page runs under the proxy's CSP (no inline script or style): a violation is logged.
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) errors.push(message.text());
    });
    const opened = Date.now();
    await page.goto(stack.gateway.url);
    const stream = page.locator(`tbody[data-stream-id="${ID}"]`);
    await stream.locator('tr.stream').click({ timeout: 2000 });
    await page.waitForFunction(
      (id) => document.querySelectorAll(`tbody[data-stream-id="${id}"] tr[data-client-id]`).length === 3,
      ID,
      {
        timeout: Math.max(1, 2000 - (Date.now() - opened)),
      },
    );
    expect(Date.now() - opened).toBeLessThan(2000);
    for (const agent of agents) expect(await stream.getByText(agent).count()).toBe(1);
    expect(await stream.locator('.state').textContent()).toBe('active');

    // The throughput line needs two samples of the owner's engine bytes (reported every 2 s).
    const drawnBy = Date.now() + 15_000;
    while (!(await sparklineDrawn(page, ID))) {
      if (Date.now() > drawnBy) throw new Error('the sparkline was never drawn');
      await page.waitForTimeout(250);
    }
    // engine-sim sends 2 Mbit/s.
    const bitrate = await stream.locator('tr.stream td').nth(7).textContent();
    expect(Number(/^([0-9.]+) Mbit\/s$/.exec(bitrate ?? '')?.[1])).toBeGreaterThan(1);
    // The engine's peers, from the owner's stat poll (PROXY_STAT_INTERVAL_MS).
    await page.waitForFunction(
      (id) => document.querySelector(`tbody[data-stream-id="${id}"] tr.stream td:nth-child(4)`)?.textContent === '12',
      ID,
      { timeout: 10_000 },
    );
    await page.getByText('stream started').first().waitFor({ timeout: 5000 });

    mkdirSync(OUTPUT, { recursive: true });
    const screenshot = join(OUTPUT, 'status-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(`status page screenshot: ${screenshot}\n`);

    // Without the key the page says so and nothing stops.
    await stream.locator('button.stop').click();
    await page.getByText('Type the API key').waitFor({ timeout: 2000 });
    expect(players.every((p) => !p.ended)).toBe(true);

    await page.locator('#api-key').fill(API_KEY);
    // Drop one player: its response ends, the others keep streaming.
    const dropped = players[0]!;
    const droppedId = await waitForClientOf(page, ID, agents[0]!);
    await stream.locator(`tr[data-client-id="${droppedId}"] button.drop`).click();
    await dropped.waitForEnd(10_000);
    await page.getByText('player dropped').first().waitFor({ timeout: 5000 });
    await page.waitForFunction(
      (id) => document.querySelectorAll(`tbody[data-stream-id="${id}"] tr[data-client-id]`).length === 2,
      ID,
      {
        timeout: 5000,
      },
    );
    expect(players.slice(1).every((p) => !p.ended)).toBe(true);

    await stream.locator('button.stop').click();
    await Promise.all(players.map((p) => p.waitForEnd(10_000)));
    await stream.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByText('stream stopped').first().waitFor({ timeout: 5000 });
    expect(errors).toEqual([]);
  });
});
