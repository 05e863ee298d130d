// HLS in a browser: hls.js in headless Chromium plays the proxy's live playlist (H.264/AAC via MSE).

import { createRequire } from 'node:module';
import { makeSampleTs, type Stack, startStack, tempDir } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers.js';

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

// What the page code below uses of the browser and hls.js (the tests compile without the DOM lib).
interface PageVideo {
  currentTime: number;
  muted: boolean;
  videoWidth: number;
  error: { message: string } | null;
  play(): Promise<void>;
  addEventListener(type: 'playing', listener: () => void, options: { once: boolean }): void;
}
interface PageHls {
  on(event: string, listener: (event: unknown, data: { fatal: boolean; details: string }) => void): void;
  loadSource(url: string): void;
  attachMedia(video: PageVideo): void;
}
interface Page {
  Hls: { new (): PageHls; isSupported(): boolean; Events: { ERROR: string } };
  document: { createElement(tag: 'video'): PageVideo; body: { appendChild(node: PageVideo): void } };
  fatal: string | null;
  video: PageVideo;
}

describe('hls.js in headless Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    const sample = await makeSampleTs(tempDir('hls-browser'), 4);
    [stack, browser] = await Promise.all([
      // 1 s segments: the player starts sooner and crosses as many segments and reloads in 6 s
      // as it did in 10 s of the 2 s default.
      startStack({
        label: 'hls-browser',
        redis: 'none',
        simEnv: { SOURCE: 'file', SOURCE_FILE: sample },
        env: { PROXY_HLS_TARGET_DURATION: '1' },
      }),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'] }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('plays 6 s (six 1 s segments) of the live channel with currentTime advancing and no fatal error', async () => {
    const page = await browser.newPage();
    await page.addScriptTag({ path: HLS_JS });
    const manifest = `${stack.gateway.url}/ace/manifest.m3u8?id=${'b7'.repeat(20)}`;
    const start = await page.evaluate(async (url) => {
      const w = globalThis as unknown as Page;
      w.fatal = null;
      const video = w.document.createElement('video');
      video.muted = true;
      w.document.body.appendChild(video);
      w.video = video;
      const hls = new w.Hls();
      hls.on(w.Hls.Events.ERROR, (_, data) => {
        if (data.fatal) w.fatal = data.details;
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      const playing = new Promise<void>((resolve) => video.addEventListener('playing', () => resolve(), { once: true }));
      await video.play();
      await playing;
      return { supported: w.Hls.isSupported(), at: video.currentTime };
    }, manifest);
    expect(start.supported).toBe(true);
    await page.waitForFunction((from) => (globalThis as unknown as Page).video.currentTime > from + 6, start.at, {
      timeout: 30_000,
      polling: 500,
    });
    const state = await page.evaluate(() => {
      const w = globalThis as unknown as Page;
      return { fatal: w.fatal, width: w.video.videoWidth, error: w.video.error?.message ?? null };
    });
    expect(state).toEqual({ fatal: null, width: 320, error: null });
    await page.close();
  }, 60_000);
});
