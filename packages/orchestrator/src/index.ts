// Public surface of @acestream-proxy/orchestrator: lifecycle events to the orchestrator, retried.
export { BullmqEventQueue, type BullmqEventQueueOptions } from './bullmq-queue.js';
export { OrchestratorClient, type OrchestratorClientOptions } from './client.js';
export { OrchestratorEngineSource, type OrchestratorEngineSourceOptions } from './engine-source.js';
export type { EndReason, OrchestratorEvent, StreamEnded, StreamStarted } from './events.js';
export { MemoryEventQueue } from './memory-queue.js';
export { DEFAULT_RETRY, type EventQueue, NoopEventQueue, type RetryOptions, retryDelay } from './queue.js';
