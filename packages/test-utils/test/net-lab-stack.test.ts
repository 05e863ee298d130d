// The process starters run inside net lab hosts: Redis, an engine-sim, two gateways and HAProxy, each on its own address.

import net from 'node:net';
import {
  capture,
  ENGINE_SIM,
  GATEWAY,
  type LabHost,
  type NetLab,
  netLab,
  netLabUnavailable,
  startHaproxy,
  startPrivateRedis,
} from '@acestream-proxy/test-utils';
import { afterAll, expect, it } from '@jest/globals';

const ID = '0123456789abcdef0123456789abcdef01234567';
const unavailable = netLabUnavailable();
const test = unavailable ? it.skip : it;

let lab: NetLab | undefined;

afterAll(async () => {
  await lab?.teardown();
  if (lab) expect(await lab.leftovers()).toEqual([]);
});

/** Milliseconds of a Redis PING answered through `port` (median of five). */
async function pingMs(port: number): Promise<number> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s)).once('error', reject);
  });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await new Promise((resolve) => {
      socket.once('data', resolve);
      socket.write('PING\r\n');
    });
    times.push(performance.now() - started);
  }
  socket.destroy();
  return times.sort((x, y) => x - y)[2]!;
}

test(`a player on its own host watches through HAProxy and two gateway hosts whose Redis is 20 ms away${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
  lab = await netLab();
  const names = ['redis', 'gw1', 'gw2', 'sim', 'lb', 'player'];
  const [redisHost, gw1, gw2, simHost, lbHost, playerHost] = (await Promise.all(names.map((n) => lab!.addHost(n)))) as LabHost[];
  const redis = await startPrivateRedis(undefined, { host: redisHost! });
  const farRedis = await lab.delay(redisHost!, redis.port, { ms: 10 });
  const sim = await simHost!.spawnNode(ENGINE_SIM, { env: { BITRATE: '2000000' } });
  const env = {
    REDIS_URL: `redis://${farRedis.address}:${farRedis.port}`,
    ENGINES: `${simHost!.address}:${sim.port}`,
    WORKERS: '1',
    PROXY_GRACE_PERIOD: '0.5',
    PROXY_INITIAL_BEHIND_SECONDS: '1',
  };
  const gateways = await Promise.all([gw1!, gw2!].map((host) => host.spawnNode(GATEWAY, { env, timeoutMs: 30_000 })));
  const lb = await startHaproxy(
    [gw1!, gw2!].map((host, i) => ({ host: host.address, port: gateways[i]!.port })),
    { host: lbHost! },
  );

  // What a gateway host sees of Redis: 2 x 10 ms more than from Redis's own host.
  const fromGateway = await gw1!.portal(farRedis.port, farRedis.address);
  const rtt = await pingMs(fromGateway.port);
  // ±30%, and a few ms for the portal's own hops from the test to the gateway host.
  expect(rtt).toBeGreaterThan(20 * 0.7);
  expect(rtt).toBeLessThan(20 * 1.3 + 5);

  const entry = await playerHost!.portal(lb.port, lbHost!.address);
  const player = await capture(`${entry.url}/ace/getstream?id=${ID}`);
  expect(player.status).toBe(200);
  await player.waitForBytes(200_000);
  player.close();
  expect((await redis.redis.keys(`*${ID}*`)).length).toBeGreaterThan(0);
  expect(gateways.map((g) => new URL(g.peerUrl).hostname)).toEqual([gw1!.address, gw2!.address]);
});
