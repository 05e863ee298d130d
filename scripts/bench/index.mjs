// `pnpm bench`: runs the scenarios as separate processes and prints one table (+ bench/results/*.json).
// Flags: --scenarios fanout,join,failover,many,startup,hls  --clients N --seconds S --streams N --kills N --every S
//        --workers W --quick (tiny sizes, for a smoke run)
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
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
    quick: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const num = (v, full, small) => Number(v ?? (quick ? small : full));
const workers = Number(values.workers);
const seconds = num(values.seconds, 60, 3);

const plans = {
  hls: () => hls({ players: num(values.clients, 500, 20), seconds: quick ? 10 : seconds, bitrate: 4_000_000, workers }),
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
};

const results = [];
for (const name of values.scenarios.split(',')) {
  const plan = plans[name];
  if (!plan) {
    console.error(`unknown scenario ${name}; choose from ${Object.keys(plans).join(', ')}`);
    process.exit(2);
  }
  process.stderr.write(`running ${name}...\n`);
  try {
    results.push(await plan());
  } catch (err) {
    await stopAll();
    throw err;
  }
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
  for (const [k, v] of Object.entries(r)) if (k !== 'scenario') console.log(`  ${k.padEnd(36)} ${fmt(v)}`);
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), quick, workers, results }, null, 2)}\n`);
console.log(`\nwritten ${file}`);
process.exit(0);
