// The operator's view with AUTH=token (issue 21): the status page in headless Chromium logs in with
// the read-only key and shows each player's user and the users panel; the read key changes nothing;
// /metrics has per-user series bounded by METRICS_USER_LABELS; no token shows anywhere.
/// <reference lib="dom" />

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Capture, capture, type Stack, startStack, waitFor } from '@acestream-proxy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, snapshotWhere } from './helpers.js';

const [A, B] = ['ab', 'cd'].map((p) => p.repeat(20)) as [string, string];
const ADMIN_KEY = 'operator-view-admin-key';
const READ_KEY = 'operator-view-read-key';
const admin = { 'X-API-Key': ADMIN_KEY };

interface Issued {
  token: string;
}

async function api<T>(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

/** `acestream_proxy_user_players` and `..._player_bytes` by user label, from one scrape. */
async function perUser(url: string): Promise<{ players: Map<string, number>; bytes: Map<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (family: string) =>
    new Map([...text.matchAll(new RegExp(`^${family}\\{user="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])]));
  return { players: read('acestream_proxy_user_players'), bytes: read('acestream_proxy_user_player_bytes') };
}

describe('the operator view with AUTH=token', () => {
  let stack: Stack;
  let browser: BrowserContext;
  let profile: string;
  let url: string;
  const tokens: Record<string, string> = {};
  const players: Capture[] = [];
  const play = async (user: string, id: string) => {
    const player = await capture(`${url}/u/${tokens[user]}/ace/getstream?id=${id}`, { 'user-agent': `player-of-${user}` });
    players.push(player);
    await player.waitForBytes(20_000);
    return player;
  };

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'operator-view-chromium-'));
    [stack, browser] = await Promise.all([
      startStack({
        label: 'operator-view',
        env: {
          AUTH: 'token',
          PROXY_API_KEY: ADMIN_KEY,
          PROXY_READ_KEY: READ_KEY,
          PROXY_HEARTBEAT_INTERVAL: '1',
          METRICS_USER_LABELS: '1',
          // Every line the gateway can write is searched for tokens.
          LOG_LEVEL: 'debug',
        },
      }),
      chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS }),
    ]);
    url = stack.gateway.url;
    for (const name of ['alice', 'bob', 'carol']) {
      const created = await api<Issued>(url, 'POST', '/proxy/users', admin, { name });
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    await Promise.all([play('alice', A), play('bob', B)]);
  });

  afterAll(async () => {
    for (const p of players) p.close();
    await browser?.close();
    await stack?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('counts players and bytes per user in /metrics, the first METRICS_USER_LABELS=1 by name, the rest as "other"', async () => {
    const figures = await waitFor(
      async () => {
        const f = await perUser(url);
        // Bytes are the players' as of their last heartbeat (every second here).
        return f.players.get('alice') === 1 && f.players.get('other') === 1 && (f.bytes.get('alice') ?? 0) > 0 ? f : null;
      },
      { what: 'alice=1 and other=1 in acestream_proxy_user_players, alice with bytes' },
    );
    // alice, then bob summed as other; carol watches nothing and has no series.
    expect([...figures.players.keys()].sort()).toEqual(['alice', 'other']);
    expect([...figures.bytes.keys()].sort()).toEqual(['alice', 'other']);
    expect(figures.bytes.get('alice')).toBeGreaterThan(0);
  });

  it('the page needs a key: the read key logs in (HttpOnly, SameSite=Strict cookie), shows users, and changes nothing', async () => {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) errors.push(m.text());
    });
    await page.goto(url);
    await page.locator('#login').waitFor({ timeout: 5000 });
    // Without a login the feed and the streams API refuse; no stream is shown.
    expect(await page.evaluate(() => fetch('/proxy/events').then((r) => r.status))).toBe(401);
    expect((await fetch(`${url}/proxy/streams`)).status).toBe(401);
    await page.locator('#key').fill('not-the-read-key-at-all');
    await page.locator('#login button[type=submit]').click();
    await page.getByText('Login refused: 401').waitFor({ timeout: 5000 });
    expect(await page.locator('tbody[data-stream-id]').count()).toBe(0);

    await page.locator('#key').fill(READ_KEY);
    await page.locator('#login button[type=submit]').click();
    const stream = page.locator(`tbody[data-stream-id="${A}"]`);
    await stream.locator('tr.stream').click({ timeout: 5000 });
    await expect(stream.locator('tr[data-client-id] td.user').textContent({ timeout: 5000 })).resolves.toBe('alice');
    await page.locator('tr[data-user="alice"]').waitFor({ timeout: 5000 });
    await page.waitForFunction(() => document.querySelector('tr[data-user="bob"] td:nth-child(5)')?.textContent === '1');
    expect(await page.locator('#role').textContent()).toBe('read only');
    expect(await page.locator('button.disable').count()).toBe(0);

    const cookie = (await browser.cookies(url)).find((c) => c.name === 'ace_operator');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('ace_operator');
    // Behind a TLS-terminating proxy (loopback is trusted by default) the cookie is Secure.
    const https = await fetch(`${url}/proxy/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Proto': 'https' },
      body: JSON.stringify({ key: READ_KEY }),
    });
    expect(https.headers.get('set-cookie')).toMatch(
      /^ace_operator=[\w-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/,
    );

    // The read key cannot disable a user, with its login or in a header; it may list them.
    const patch = () =>
      fetch('/proxy/users/bob', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: '{"enabled":false}',
      }).then((r) => r.status);
    expect(await page.evaluate(patch)).toBe(403);
    expect((await api(url, 'PATCH', '/proxy/users/bob', { 'X-API-Key': READ_KEY }, { enabled: false })).status).toBe(403);
    expect((await api(url, 'DELETE', `/proxy/streams/${A}`, { 'X-API-Key': READ_KEY })).status).toBe(403);
    const listed = await api<{ users: Array<{ name: string; enabled: boolean }> }>(url, 'GET', '/proxy/users', {
      'X-API-Key': READ_KEY,
    });
    expect(listed.body.users.find((u) => u.name === 'bob')?.enabled).toBe(true);

    // Logged out, the feed refuses again; the admin's login gets the buttons and disables bob.
    await page.locator('#logout').click();
    await page.locator('#login').waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => fetch('/proxy/events').then((r) => r.status))).toBe(401);
    await page.locator('#key').fill(ADMIN_KEY);
    await page.locator('#login button[type=submit]').click();
    await page.locator('tr[data-user="bob"] button.disable').click({ timeout: 5000 });
    const bobs = players[1]!;
    await bobs.waitForEnd(5000);
    const after = await api<{ users: Array<{ name: string; enabled: boolean }> }>(url, 'GET', '/proxy/users', admin);
    expect(after.body.users.find((u) => u.name === 'bob')?.enabled).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('no token (nor its hash) shows in the logs, /proxy/events, /metrics, the APIs or the page after create, use and rotate', async () => {
    const rotated = await api<Issued>(url, 'POST', '/proxy/users/alice/rotate', admin);
    expect(rotated.status).toBe(200);
    const old = tokens.alice!;
    tokens.alice_rotated = rotated.body.token;
    await players[0]!.waitForEnd(5000);
    expect((await fetch(`${url}/u/${old}/ace/getstream?id=${A}`)).status).toBe(401);
    tokens.alice = rotated.body.token;
    await play('alice', B);

    const page = await browser.newPage();
    await page.goto(url);
    await page.locator(`tbody[data-stream-id="${B}"] tr.stream`).click({ timeout: 5000 });
    await page.locator(`tbody[data-stream-id="${B}"] td.user`).first().waitFor({ timeout: 5000 });
    const seen = {
      page: await page.content(),
      events: JSON.stringify(await snapshotWhere(url, (s) => s.streams.length > 0, 10_000, admin)),
      metrics: await (await fetch(`${url}/metrics`)).text(),
      streams: await (await fetch(`${url}/proxy/streams`, { headers: admin })).text(),
      users: await (await fetch(`${url}/proxy/users`, { headers: admin })).text(),
      health: await (await fetch(`${url}/health`)).text(),
      logs: stack.gateway.output.join('\n'),
    };
    await page.close();
    // What was searched holds what it should: the user's name, the log lines of the token's life.
    expect(seen.page).toContain('alice');
    expect(seen.logs).toContain('user token rotated');
    const secrets = [old, ...Object.values(tokens)].flatMap((t) => [t, createHash('sha256').update(t).digest('hex')]);
    for (const [where, text] of Object.entries(seen)) {
      for (const secret of secrets) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
    }
  });
});
