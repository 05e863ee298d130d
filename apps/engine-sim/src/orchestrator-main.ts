// Simulated orchestrator entry point: `node apps/engine-sim/dist/orchestrator-main.js`
// env PORT, HOST, ENGINES=host:port[:forwarded],... (container ids engine-1, engine-2, ...).

import { type SimEngine, startOrchestratorSim } from './orchestrator.js';

function engines(raw: string): SimEngine[] {
  return raw
    .split(',')
    .filter(Boolean)
    .map((entry, i) => {
      const [host = '', port = '', flag] = entry.trim().split(':');
      if (!host || !/^\d+$/.test(port)) {
        process.stderr.write(`Invalid ENGINES entry "${entry}": must be host:port or host:port:forwarded\n`);
        process.exit(1);
      }
      return { container_id: `engine-${i + 1}`, host, port: Number(port), forwarded: flag === 'forwarded' };
    });
}

const sim = await startOrchestratorSim({
  port: Number(process.env.PORT ?? 8080),
  host: process.env.HOST || '127.0.0.1',
  engines: engines(process.env.ENGINES ?? ''),
});
process.stdout.write(`${JSON.stringify({ event: 'listening', port: sim.port })}\n`);
const shutdown = async () => {
  await sim.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
