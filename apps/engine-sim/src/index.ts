// Public surface of @acestream-proxy/engine-sim: start a simulated engine in process, read probes.
export type { Faults } from './faults.js';
export { FileSource } from './file-source.js';
export {
  type OrchestratorSim,
  type OrchestratorSimOptions,
  type RecordedEvent,
  type SimEngine,
  startOrchestratorSim,
} from './orchestrator.js';
export { PROBE_INTERVAL_MS } from './playback.js';
export { decodeProbe, encodeProbe, PROBE_PID, type Probe, ProbeScanner } from './probe.js';
export { type EngineSim, type EngineSimOptions, type SimRequest, startEngineSim } from './server.js';
export type { SessionRecord, SimStats, StopReason } from './sessions.js';
export { SyntheticSource } from './synthetic.js';
