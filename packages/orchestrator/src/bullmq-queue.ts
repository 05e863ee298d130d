// EventQueue on BullMQ (Redis mode): events survive a worker crash and an orchestrator outage.

import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import type { OrchestratorClient } from './client.js';
import type { OrchestratorEvent, StreamEnded, StreamStarted } from './events.js';
import { DEFAULT_RETRY, type EventQueue, type RetryOptions, retryDelay } from './queue.js';

export interface BullmqEventQueueOptions {
  /**
   * Makes a connection for the queue or its worker: ioredis options for one Redis server, a
   * Cluster instance for a Redis Cluster. Either way with maxRetriesPerRequest: null (DESIGN §5a).
   */
  connection: () => ConnectionOptions;
  /** Redis key prefix of the queue: REDIS_KEY_PREFIX, as one hash tag on a Redis Cluster. */
  prefix: string;
  client: OrchestratorClient;
  retry?: RetryOptions;
}

const QUEUE = 'orchestrator-events';

// Job ids are stable per session and event, so a repeated enqueue is a no-op.
const jobId = (key: string, name: OrchestratorEvent['name']) => `${name}-${key}`;

export class BullmqEventQueue implements EventQueue {
  private readonly queue: Queue;
  private readonly worker: Worker;
  /** Connections given as instances (a Cluster) are shared: BullMQ leaves closing them to us. */
  private readonly connections: ConnectionOptions[];

  constructor(private readonly options: BullmqEventQueueOptions) {
    const retry = options.retry ?? DEFAULT_RETRY;
    this.connections = [options.connection(), options.connection()];
    this.queue = new Queue(QUEUE, { connection: this.connections[0]!, prefix: options.prefix });
    this.worker = new Worker(QUEUE, (job) => this.process(job), {
      connection: this.connections[1]!,
      prefix: options.prefix,
      settings: { backoffStrategy: (attempts: number) => retryDelay(attempts, retry.baseMs, retry.maxMs) },
    });
    this.worker.on('error', () => {});
  }

  async started(key: string, payload: StreamStarted): Promise<void> {
    await this.add(key, { name: 'stream_started', payload });
  }

  async ended(key: string, payload: StreamEnded): Promise<void> {
    await this.add(key, { name: 'stream_ended', payload });
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
    for (const c of this.connections) if ('disconnect' in c && typeof c.disconnect === 'function') c.disconnect();
  }

  private async add(key: string, event: OrchestratorEvent): Promise<void> {
    await this.queue.add(
      event.name,
      { key, payload: event.payload },
      {
        jobId: jobId(key, event.name),
        attempts: 1_000_000,
        backoff: { type: 'capped' },
        // Kept a day, so a stream_ended can check its stream_started was delivered.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 24 * 3600 },
      },
    );
  }

  private async process(job: Job<{ key: string; payload: unknown }>): Promise<void> {
    const name = job.name as OrchestratorEvent['name'];
    if (name === 'stream_ended') {
      const start = await this.queue.getJob(jobId(job.data.key, 'stream_started'));
      if (start && !(await start.isCompleted())) throw new Error('stream_started not delivered yet');
    }
    await this.options.client.send({ name, payload: job.data.payload } as OrchestratorEvent);
  }
}
