// engine-sim entry point: env -> options (a bad value exits 1 naming it), then serve until a signal.

import { type Faults, parseFaults } from './faults.js';
import { startEngineSim } from './server.js';

function fail(variable: string, value: string, allowed: string): never {
  process.stderr.write(`Invalid ${variable}=${JSON.stringify(value)}: ${allowed}\n`);
  process.exit(1);
}

function number(variable: string, fallback: number, min: number, integer = false): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(variable, raw, `must be a ${integer ? 'whole ' : ''}number of at least ${min}`);
  }
  return value;
}

const source = process.env.SOURCE ?? 'synthetic';
if (source !== 'synthetic' && source !== 'file') fail('SOURCE', source, 'must be synthetic or file');
if (source === 'file' && !process.env.SOURCE_FILE) fail('SOURCE_FILE', '', 'must name a .ts file when SOURCE=file');

let faults: Faults = {};
try {
  faults = parseFaults({
    prebuffer_ms: process.env.SIM_PREBUFFER_MS,
    stall_after_s: process.env.SIM_STALL_AFTER_S,
    eof_after_s: process.env.SIM_EOF_AFTER_S,
    error: process.env.SIM_ERROR,
  });
} catch (err) {
  fail('SIM_*', '', (err as Error).message);
}

const sim = await startEngineSim({
  port: number('PORT', 6878, 0, true),
  host: process.env.HOST || '127.0.0.1',
  bitrate: number('BITRATE', 4_000_000, 300_000, true),
  gop: number('GOP', 1, 0.04),
  source,
  sourceFile: process.env.SOURCE_FILE,
  faults,
  idleTimeoutS: number('SIM_IDLE_TIMEOUT_S', 60, 0),
  firstSession: number('SIM_FIRST_SESSION', 1, 1, true),
}).catch((err: Error) => {
  process.stderr.write(`engine-sim cannot start: ${err.message}\n`);
  process.exit(1);
});

process.stdout.write(`${JSON.stringify({ event: 'listening', host: sim.host, port: sim.port, source })}\n`);

const shutdown = async () => {
  await sim.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
