// `pnpm bench --cluster`: the many and failover scenarios on a local Redis Cluster (3 masters +
// 3 replicas), beside one Redis server measured the same way in the same run.
import { keySlot, startNodeProcess, startRedisCluster } from '../../packages/test-utils/dist/index.js';
import { knobsUnderTest, LIMITS_OFF, openPlayers, sleep, startStack } from './stack.mjs';

const id = (n) => n.toString(16).padStart(40, 'c');
const field = (info, name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
const calls = (info) => [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);

/** One Redis server: the bench's usual stack, seen as a one-node "cluster". */
async function singleBackend({ bitrate, workers, env }) {
  const stack = await startStack({ bitrate, workers, env });
  return {
    stack,
    streamUrl: stack.streamUrl,
    nodes: async () => [{ name: 'single', redis: stack.redis.redis, owns: () => true }],
    indexKey: (stream) => `ace_proxy:stream:${stream}:buffer:index`,
    get: (key) => stack.redis.redis.get(key),
    stop: () => stack.stop(),
  };
}

async function clusterBackend({ bitrate, workers, env }) {
  const cluster = await startRedisCluster();
  try {
    const sim = await startNodeProcess('apps/engine-sim/dist/main.js', { env: { BITRATE: String(bitrate) } });
    const gateway = await startNodeProcess('apps/gateway/dist/main.js', {
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        WORKERS: String(workers),
        ENGINES: `127.0.0.1:${sim.port}`,
        ENGINE_MAX_STREAMS: '1000',
        LOG_LEVEL: 'warn',
        ...LIMITS_OFF,
        ...env,
        ...knobsUnderTest(),
      },
      timeoutMs: 30_000,
    }).catch(async (err) => {
      await sim.stop();
      throw err;
    });
    return {
      cluster,
      sim,
      streamUrl: (stream) => `${gateway.url}/ace/getstream?id=${stream}`,
      async nodes() {
        const masters = await cluster.masters();
        const slotsOf = new Map();
        for (const m of masters) {
          const ranges = await m.redis.cluster('SLOTS');
          slotsOf.set(
            m,
            ranges.filter((r) => Number(r[2][1]) === m.port).map((r) => [r[0], r[1]]),
          );
        }
        return masters.map((m) => ({
          name: `master:${m.port}`,
          redis: m.redis,
          owns: (stream) => slotsOf.get(m).some(([a, b]) => keySlot(`{${stream}}`) >= a && keySlot(`{${stream}}`) <= b),
        }));
      },
      indexKey: (stream) => `ace_proxy:stream:{${stream}}:buffer:index`,
      get: (key) => cluster.redis.get(key),
      async stop() {
        await gateway.stop();
        await sim.stop();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/**
 * Many streams, a few players each: Redis memory per stream (streams per GB) and Redis commands
 * per chunk on each node, over a window once the buffer has filled.
 */
export async function manyOn(kind, { streams, perStream, seconds, bitrate, workers, bufferTtl }) {
  const start = kind === 'cluster' ? clusterBackend : singleBackend;
  const backend = await start({ bitrate, workers, env: { PROXY_BUFFER_TTL: String(bufferTtl) } });
  const nodes = await backend.nodes();
  const stored = async () => {
    const infos = await Promise.all(nodes.map((n) => n.redis.info('memory')));
    // Without client and replica output buffers and the replication backlog: a fixed cost per
    // node, or bytes on their way somewhere, not the streams' storage.
    const own = (info) =>
      field(info, 'used_memory') -
      field(info, 'mem_clients_normal') -
      field(info, 'mem_clients_slaves') -
      field(info, 'mem_replication_backlog');
    return infos.reduce((a, info) => a + own(info), 0);
  };
  const empty = await stored();
  const ids = Array.from({ length: streams }, (_, s) => id(200 + s));
  const players = [];
  for (const stream of ids) players.push(...(await openPlayers(backend.streamUrl(stream), perStream)));
  await sleep(Math.max(3000, bufferTtl * 1000 + 1000));
  const indexes = async () => Promise.all(ids.map(async (s) => Number((await backend.get(backend.indexKey(s))) ?? 0)));
  const counts = async () => Promise.all(nodes.map(async (n) => calls(await n.redis.info('commandstats'))));
  const [i0, c0] = [await indexes(), await counts()];
  await sleep(seconds * 1000);
  const [i1, c1] = [await indexes(), await counts()];
  const used = (await stored()) - empty;
  const chunks = ids.map((_, s) => i1[s] - i0[s]);
  const perNode = nodes.map((n, k) => {
    const own = ids.reduce((a, s, j) => a + (n.owns(s) ? chunks[j] : 0), 0);
    const commands = c1[k] - c0[k];
    const perChunk = own > 0 ? (commands / own).toFixed(1) : '-';
    return `${n.name} (${ids.filter((s) => n.owns(s)).length} streams, ${perChunk} per chunk, ${Math.round(commands / seconds)} per s)`;
  });
  const perStreamBytes = used / streams;
  const result = {
    scenario: `many (${kind})`,
    streams,
    clients: players.length,
    redis_bytes_per_stream: perStreamBytes,
    redis_per_stream_vs_bitrate_ttl: perStreamBytes / ((bitrate / 8) * bufferTtl),
    // At 8 Mbit/s and the default 60 s window, from the measured overhead factor.
    streams_per_gb_at_8mbit_60s: 2 ** 30 / ((perStreamBytes / ((bitrate / 8) * bufferTtl)) * 1e6 * 60),
    commands_per_chunk_all_nodes:
      (c1.reduce((a, b) => a + b, 0) - c0.reduce((a, b) => a + b, 0)) / chunks.reduce((a, b) => a + b, 0),
    commands_per_chunk_per_node: perNode,
  };
  for (const p of players) p.close();
  await backend.stop();
  return result;
}

/** SIGKILL of the Redis master holding a live stream: players' longest silence until the replica serves. */
export async function masterFailover({ clients, bitrate, workers, ownerTtlMs }) {
  const backend = await clusterBackend({ bitrate, workers, env: { PROXY_OWNER_TTL_MS: String(ownerTtlMs) } });
  const stream = id(7);
  const players = await openPlayers(backend.streamUrl(stream), clients, { batch: 1 });
  await sleep(5000);
  const master = await backend.cluster.masterOf(keySlot(`{${stream}}`));
  for (const p of players) p.markGap();
  await backend.cluster.kill(master);
  await sleep(12_000);
  const gaps = players.filter((p) => !p.ended).map((p) => p.gapSinceMark);
  const result = {
    scenario: 'master failover (cluster)',
    clients,
    disconnected: players.filter((p) => p.ended).length,
    gap_max_ms: Math.max(...gaps),
  };
  for (const p of players) p.close();
  await backend.stop();
  return result;
}
