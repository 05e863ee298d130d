// EventQueue on BullMQ (Redis mode): events survive a worker crash and an orchestrator outage.

import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import type { OrchestratorClient } from './client.js';
import type { OrchestratorEvent, StreamEnded, StreamStarted } from './events.js';
import { DEFAULT_RETRY, type EventQueue, type RetryOptions, retryDelay } from './queue.js';

export interface BullmqEventQueueOptions {
  redisUrl: string;
  /** Redis key prefix of the queue (REDIS_KEY_PREFIX). */
  prefix: string;
  client: OrchestratorClient;
  retry?: RetryOptions;
}

const QUEUE = 'orchestrator-events';

/** BullMQ takes connection options, not a URL, and needs maxRetriesPerRequest: null (DESIGN §5a). */
function connection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

// Job ids are stable per session and event, so a repeated enqueue is a no-op.
const jobId = (key: string, name: OrchestratorEvent['name']) => `${name}-${key}`;

export class BullmqEventQueue implements EventQueue {
  private readonly queue: Queue;
  private readonly worker: Worker;

  constructor(private readonly options: BullmqEventQueueOptions) {
    const retry = options.retry ?? DEFAULT_RETRY;
    this.queue = new Queue(QUEUE, { connection: connection(options.redisUrl), prefix: options.prefix });
    this.worker = new Worker(QUEUE, (job) => this.process(job), {
      connection: connection(options.redisUrl),
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
