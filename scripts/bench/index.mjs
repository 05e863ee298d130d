// `pnpm bench`: runs the scenarios as separate processes and prints one table (+ bench/results/*.json).
// Flags: --scenarios fanout,join,failover,many,startup,kickoff,joins,cpu,hls  --clients N --seconds S --streams N
//        --kills N --every S --workers W --readers R (load-generator processes of the crowd scenarios and hls)
//        --joins N --bitrate B (cpu) --runs N (repeat each scenario; the table shows medians and each
//        figure's range over the runs, the JSON every run; runs limited by their load generator or on a
//        starved machine are marked and left out of the medians)
//        --auth none|token (joins: AUTH=token, every join with a user's token; compare with a none run)
//        --quick (tiny sizes, for a smoke run)
//        --env KEY=VALUE (repeatable: a knob for the gateway under test, e.g. --env PROXY_JOIN_BACKLOG_BUDGET_MB=8)
//        --cluster: many and failover on a local Redis Cluster beside one Redis server (bench/cluster.mjs)
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { manyOn, masterFailover } from './cluster.mjs';
import * as crowd from './crowd-scenarios.mjs';
import { hls } from './hls.mjs';
import * as scenarios from './scenarios.mjs';
import { stopAll } from './stack.mjs';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'fanout,join,failover,many,startup' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    workers: { type: 'string', default: '2' },
    streams: { type: 'string' },
    kills: { type: 'string' },
    every: { type: 'string' },
    readers: { type: 'string', default: '4' },
    joins: { type: 'string' },
    auth: { type: 'string', default: 'none' },
    bitrate: { type: 'string' },
    runs: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    ttl: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const gatewayEnv = {};
for (const pair of values.env) {
  const at = pair.indexOf('=');
  if (at <= 0) {
    console.error(`--env ${pair}: expected KEY=VALUE`);
    process.exit(2);
  }
  gatewayEnv[pair.slice(0, at)] = pair.slice(at + 1);
}
if (values.auth !== 'none' && values.auth !== 'token') {
  console.error(`--auth ${values.auth}: expected none or token`);
  process.exit(2);
}
// Read by startStack (stack.mjs) in every scenario.
process.env.BENCH_GATEWAY_ENV = JSON.stringify(gatewayEnv);
const quick = values.quick;
const num = (v, full, small) => Number(v ?? (quick ? small : full));
const workers = Number(values.workers);
const seconds = num(values.seconds, 60, 3);
const readers = Number(values.readers);

const plans = {
  hls: () => hls({ players: num(values.clients, 1000, 20), seconds: quick ? 10 : seconds, bitrate: 4_000_000, workers, readers }),
  fanout: () => scenarios.fanout({ clients: num(values.clients, 1000, 20), seconds, bitrate: 8_000_000, workers }),
  many: () =>
    scenarios.many({
      streams: num(values.streams, 100, 3),
      perStream: 5,
      seconds,
      bitrate: 4_000_000,
      workers,
      bufferTtl: quick ? 5 : 60,
    }),
  join: () => scenarios.join({ seconds: quick ? 2 : 30, intervalMs: 100, bitrate: 4_000_000, workers }),
  startup: () => scenarios.startup({ streams: num(values.streams, 10, 2), joins: quick ? 3 : 20, workers }),
  failover: () =>
    scenarios.failover({
      kills: num(values.kills, 5, 1),
      everyS: num(values.every, 15, 3),
      clients: 10,
      bitrate: 4_000_000,
      workers,
    }),
  kickoff: () => crowd.kickoff({ clients: num(values.clients, 2000, 50), bitrate: 8_000_000, workers, readers }),
  joins: () => crowd.joins({ joins: num(values.joins, 3000, 50), bitrate: 300_000, workers, readers, auth: values.auth }),
  cpu: () =>
    crowd.cpu({
      clients: num(values.clients, 500, 20),
      seconds: num(values.seconds, 10, 3),
      bitrate: num(values.bitrate, 8_000_000, 8_000_000),
      workers,
      readers,
    }),
};

if (values.cluster) {
  // Smaller than the default many: the cluster's six redis-servers share the machine too.
  const many = {
    streams: num(values.streams, 20, 3),
    perStream: 3,
    seconds: num(values.seconds, 10, 3),
    bitrate: 4_000_000,
    workers,
    bufferTtl: num(values.ttl, 10, 5),
  };
  plans['many-single'] = () => manyOn('single', many);
  plans['many-cluster'] = () => manyOn('cluster', many);
  plans['failover-cluster'] = () => masterFailover({ clients: 10, bitrate: 4_000_000, workers, ownerTtlMs: 6000 });
  plans.failover = () =>
    scenarios.failover({
      kills: num(values.kills, 1, 1),
      everyS: num(values.every, 5, 3),
      clients: 10,
      bitrate: 4_000_000,
      workers,
    });
  if (values.scenarios === 'fanout,join,failover,many,startup')
    values.scenarios = 'many-single,many-cluster,failover,failover-cluster';
}

const results = [];
for (const name of values.scenarios.split(',')) {
  const plan = plans[name];
  if (!plan) {
    console.error(`unknown scenario ${name}; choose from ${Object.keys(plans).join(', ')}`);
    process.exit(2);
  }
  const runs = [];
  for (let r = 0; r < Number(values.runs); r++) {
    process.stderr.write(`running ${name}${Number(values.runs) > 1 ? ` (run ${r + 1})` : ''}...\n`);
    try {
      runs.push(await plan());
    } catch (err) {
      await stopAll();
      throw err;
    }
  }
  results.push(runs.length === 1 ? runs[0] : { ...medians(runs), runs });
}

/**
 * Per field, the median over runs (numbers) with the range of every run beside it (the worst run
 * is one of its ends), or the first run's value. Runs limited by their load generator (issue 25)
 * are left out of the medians when any run was not.
 */
function medians(allRuns) {
  const clean = allRuns.filter((r) => !r.limited_by_load_generator && !r.machine_starved);
  const runs = clean.length > 0 ? clean : allRuns;
  const out = {};
  for (const key of Object.keys(runs[0])) {
    const values = runs.map((r) => r[key]);
    if (values.every((v) => typeof v === 'number')) {
      const sorted = [...values].sort((a, b) => a - b);
      out[key] = sorted[Math.floor(sorted.length / 2)];
      const every = allRuns.map((r) => r[key]).filter((v) => typeof v === 'number');
      out[`${key}_range`] = [Math.min(...every), Math.max(...every)];
    } else out[key] = values[0];
  }
  out.runs_in_medians = `${runs.length} of ${allRuns.length}${clean.length === 0 ? ' (every run limited by its load generator or a starved machine)' : ''}`;
  return out;
}

const fmt = (v) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? String(v)
      : v.toFixed(v < 10 ? 3 : 1)
    : Array.isArray(v)
      ? v.join('/')
      : String(v);
for (const r of results) {
  console.log(`\n${r.scenario}`);
  if (r.runs) console.log(`  (medians; every run's range beside them)`);
  for (const [k, v] of Object.entries(r)) {
    if (k === 'scenario' || k === 'runs' || k.endsWith('_range')) continue;
    const range = r[`${k}_range`];
    console.log(`  ${k.padEnd(36)} ${fmt(v)}${range && range[0] !== range[1] ? `   [${range.map(fmt).join(' – ')}]` : ''}`);
  }
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), quick, workers, env: gatewayEnv, results }, null, 2)}\n`);
console.log(`\nwritten ${file}`);
process.exit(0);
