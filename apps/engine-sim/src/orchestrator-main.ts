// Simulated orchestrator entry point: `node apps/engine-sim/dist/orchestrator-main.js` (env PORT, HOST).

import { startOrchestratorSim } from './orchestrator.js';

const sim = await startOrchestratorSim({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST || '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ event: 'listening', port: sim.port })}\n`);
const shutdown = async () => {
  await sim.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
