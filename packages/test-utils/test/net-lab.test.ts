// The net lab: hosts reach each other by address, and delay, loss, partitions and rate limits act on their links.

import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import {
  type LabHost,
  type NetLab,
  netLab,
  netLabUnavailable,
  REPO_ROOT,
  type StartedProcess,
  sweepDeadLabs,
  waitFor,
  waitForSteady,
  withNetLab,
} from '@acestream-proxy/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

const PROBE = 'packages/test-utils/test/fixtures/net-probe.mjs';
/** The probe's fixed ports and bulk size (see net-probe.mjs). */
const [ECHO, BULK_PORT, BULK] = [7000, 9100, 400_000];
const unavailable = netLabUnavailable();
const suite = unavailable ? describe.skip : describe;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `text` and resolves with the milliseconds until it all came back. */
function echo(socket: net.Socket, text: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    let got = '';
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length < text.length) return;
      socket.off('data', onData);
      resolve(performance.now() - started);
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

/** Everything a connection to `port` receives, and the time from its first byte to its end. */
function download(port: number): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let first = 0;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', (chunk) => {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
    });
    socket.on('end', () => resolve({ bytes, ms: performance.now() - first }));
    socket.on('error', reject);
  });
}

/** The probe's count of UDP datagrams on 9000, once it stopped moving. */
function received(probe: StartedProcess): Promise<number> {
  const read = async () => Number(await (await fetch(`${probe.url}/udp-count`)).text());
  return waitForSteady(read, { intervalMs: 100, what: 'the UDP count to settle' });
}

async function sendUdp(from: StartedProcess, to: LabHost, count: number): Promise<void> {
  const res = await fetch(`${from.url}/udp-send?to=${to.address}&count=${count}`);
  expect(res.status).toBe(200);
}

suite(`net lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: NetLab;
  let a: LabHost;
  let b: LabHost;
  let probeA: StartedProcess;
  let probeB: StartedProcess;

  beforeAll(async () => {
    lab = await netLab();
    [a, b] = await Promise.all([lab.addHost('a'), lab.addHost('b')]);
    const env = { BYTES: String(BULK) };
    [probeA, probeB] = await Promise.all([a.spawnNode(PROBE, { env }), b.spawnNode(PROBE, { env })]);
  });

  afterEach(async () => {
    await lab.heal();
  });

  afterAll(async () => {
    await lab?.teardown();
    expect(await lab.leftovers()).toEqual([]);
  });

  it('two hosts reach each other by their own addresses, and the test namespace gets none of them', async () => {
    const toB = await a.portal(ECHO, b.address);
    const socket = await connect(toB.port);
    await echo(socket, 'hello from a');
    socket.destroy();
    await toB.close();
    expect(await a.exec(['ip', '-br', 'link', 'show', 'lo'])).toMatch(/UNKNOWN|UP/);
    expect(await a.exec(['ip', 'route'])).not.toMatch(/default/);
    expect(ip('-o', 'addr')).not.toContain(`${lab.names.subnet}.`);
    expect(ip('route')).not.toContain(lab.names.subnet);
  });

  it('a delay relay adds its delay each way (round trip 2 x 40 ms), jitter spreads round trips without reordering bytes', async () => {
    const relay = await lab.delay(b, ECHO, { ms: 40 });
    const jittery = await lab.delay(b, ECHO, { ms: 20, jitterMs: 15 });
    const [slow, shaky] = await Promise.all([a.portal(relay.port, b.address), a.portal(jittery.port, b.address)]);
    const socket = await connect(slow.port);
    const rtts: number[] = [];
    for (let i = 0; i < 7; i++) rtts.push(await echo(socket, 'x'));
    const median = rtts.sort((x, y) => x - y)[3]!;
    expect(median).toBeGreaterThan(80 * 0.7);
    expect(median).toBeLessThan(80 * 1.3);

    const ordered = await connect(shaky.port);
    const spread: number[] = [];
    for (let i = 0; i < 10; i++) spread.push(await echo(ordered, 'y'));
    // Each way draws its own ±15 ms: ten round trips hardly ever land within 20 ms of each other.
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(20);
    let back = '';
    ordered.on('data', (chunk) => (back += chunk));
    let sent = '';
    for (let i = 0; i < 40; i++) {
      sent += `${i},`;
      ordered.write(`${i},`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => back.length >= sent.length, { what: 'every number back through the jittery relay' });
    expect(back).toBe(sent);
    socket.destroy();
    ordered.destroy();
    await Promise.all([slow.close(), shaky.close(), relay.stop(), jittery.stop()]);
  });

  it('50% loss between two hosts drops about half of 400 UDP datagrams; without it all arrive', async () => {
    const before = await received(probeB);
    await sendUdp(probeA, b, 400);
    const clean = (await received(probeB)) - before;
    expect(clean).toBeGreaterThanOrEqual(396);

    await lab.loss(b, 0.5, { peer: a });
    await sendUdp(probeA, b, 400);
    const lossy = (await received(probeB)) - before - clean;
    // Binomial(400, 0.5): mean 200, standard deviation 10.
    expect(lossy).toBeGreaterThan(140);
    expect(lossy).toBeLessThan(260);
  });

  it('a partition stops a TCP echo between two hosts and healing restores it', async () => {
    const toB = await a.portal(ECHO, b.address);
    const socket = await connect(toB.port);
    await echo(socket, 'before');
    const fault = await lab.partition(a, b);
    let answered = false;
    const reply = echo(socket, 'during').then(() => (answered = true));
    // A new connection from a to b cannot be made either: its failure takes real time, and the echo stayed unanswered throughout.
    const attempt = await fetch(`${probeA.url}/connect?to=${b.address}&port=${ECHO}&ms=300`);
    expect(attempt.status).toBe(504);
    expect(answered).toBe(false);
    await fault.heal();
    await reply; // TCP retransmits once the path is back
    expect(answered).toBe(true);
    socket.destroy();
    await toB.close();
  });

  it('a one-way partition drops a to b and lets b to a through', async () => {
    const [atA, atB] = [await received(probeA), await received(probeB)];
    await lab.partition(a, b, { oneWay: true });
    await sendUdp(probeA, b, 40);
    await sendUdp(probeB, a, 40);
    await waitFor(async () => (await received(probeA)) - atA === 40, { what: '40 datagrams from b at a' });
    expect((await received(probeB)) - atB).toBe(0);
  });

  it('a rate limit holds a bulk transfer to its rate', async () => {
    const fromB = await a.portal(BULK_PORT, b.address);
    const free = await download(fromB.port);
    await lab.rate(b, 4_000_000);
    const limited = await download(fromB.port);
    expect(limited.bytes).toBe(BULK);
    const bitsPerSecond = (bytes: number, ms: number) => (bytes * 8) / (ms / 1000);
    // Frames carry headers too: payload gets ~95% of the rate; the burst lets a little more through.
    expect(bitsPerSecond(limited.bytes, limited.ms)).toBeGreaterThan(4_000_000 * 0.7);
    expect(bitsPerSecond(limited.bytes, limited.ms)).toBeLessThan(4_000_000 * 1.15);
    expect(bitsPerSecond(free.bytes, free.ms)).toBeGreaterThan(3 * 4_000_000);
    await fromB.close();
  });

  it('killConnections resets a host’s established connections to a peer', async () => {
    const toB = await a.portal(ECHO, b.address);
    const socket = await connect(toB.port);
    await echo(socket, 'alive');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await a.killConnections(b);
    await closed;
    await toB.close();
  });
});

suite('net lab teardown', () => {
  it('leaves no namespace, link, qdisc, process or file behind, twice over', async () => {
    const lab = await netLab();
    const [a, b] = [await lab.addHost('a'), await lab.addHost('b')];
    await lab.rate(a, 1_000_000);
    await lab.partition(a, b, { oneWay: true });
    const relay = await lab.delay(b, 1, { ms: 5 });
    expect(relay.address).toBe(b.address);
    expect((await lab.leftovers()).length).toBeGreaterThan(0);
    await lab.teardown();
    await lab.teardown();
    expect(await lab.leftovers()).toEqual([]);
  });

  it('tears down when the test body throws', async () => {
    let inside: NetLab | undefined;
    await expect(
      withNetLab(async (lab) => {
        inside = lab;
        await lab.addHost('a');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await inside!.leftovers()).toEqual([]);
  });

  it('a run stopped by SIGTERM tears down on its way out; one killed by SIGKILL is swept by the next', async () => {
    const child = (signal: NodeJS.Signals) =>
      new Promise<string>((resolve, reject) => {
        const script = `import { netLab } from '${join(REPO_ROOT, 'packages/test-utils/dist/net/lab.js')}';
const lab = await netLab(); await lab.addHost('a'); console.log(lab.names.id); setInterval(() => {}, 1000);`;
        const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let id = '';
        proc.stdout.once('data', (line: Buffer) => {
          id = line.toString().trim();
          proc.kill(signal);
        });
        proc.once('error', reject);
        proc.once('exit', (code) => (id ? resolve(id) : reject(new Error(`the child with a lab exited early (${code})`))));
      });
    const labsOf = (id: string) =>
      ip('netns', 'list')
        .split('\n')
        .filter((line) => line.startsWith(id));

    const terminated = await child('SIGTERM');
    expect(labsOf(terminated)).toEqual([]);

    const killed = await child('SIGKILL');
    expect(labsOf(killed)).toHaveLength(2);
    await sweepDeadLabs();
    expect(labsOf(killed)).toEqual([]);
  });
});

/** `ip` in the test's own namespace (root), to check the lab never touched it. */
function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}
