// AdmissionStore in Redis: per user keys (`{user:<name>}` in cluster mode), ephemeral, on the main connection.

import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Lease, LeaseSets, type Redis } from '@acestream-proxy/redis';
import type {
  Admission,
  AdmissionRequest,
  AdmissionStore,
  Evicted,
  LiveConnection,
  RefreshEntry,
  RefreshResult,
} from './admission.js';
import type { LimitName } from './errors.js';

type UserKeys = [connections: string, streams: string, ended: string];
/** Seven arguments per operation (see user-ops-3.lua). */
type Operation = [
  kind: 'admit' | 'release',
  connection: string,
  stream: string,
  ms: number,
  channels: number | '',
  connections: number | '',
  policy: string,
];
type Commands = {
  aceUserOps: (...args: [...UserKeys, now: number, ...operations: Array<string | number>]) => Promise<Array<string | number>>;
};

/** One operation waiting for its user's batch to go out, and who waits for its answer. */
interface Queued {
  operation: Operation;
  resolve(answer: Array<string | number>): void;
  reject(err: unknown): void;
}

/**
 * Admissions are ephemeral (DESIGN §19): they live beside the streams on the main Redis, not in
 * the durable state, so the players' churn never goes through the state Redis's AOF. A Redis that
 * comes back empty forgets them, and each worker's next refresh finds its entries gone: the
 * players keep watching and are counted again at their next admit (an HLS session's next
 * playlist request, a TS player's next connection), which is the price of not refusing anyone
 * for a crash that was not theirs. Scores are this host's clock (hosts run NTP).
 */
export class RedisAdmissionStore implements AdmissionStore {
  private readonly commands: Commands;
  private readonly leases: LeaseSets;
  /** Each user's script calls of this turn of the event loop, sent together once it ends. */
  private readonly queued = new Map<string, Queued[]>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => number = Date.now,
  ) {
    this.commands = defineScripts<Commands>(redis, new URL('../src/commands/', import.meta.url), { aceUserOps: 'user-ops-3' });
    this.leases = new LeaseSets(redis);
  }

  private userKeys(user: string): UserKeys {
    return [this.keys.userConnections(user), this.keys.userConnectionStreams(user), this.keys.userEnded(user)];
  }

  /**
   * Runs a user's operation, batched: what one user asks in the same turn of the event loop (a
   * household's players arriving together, a kick-off) goes out as one script call that runs the
   * operations in call order, each atomic. One call of ioredis and of Redis per turn, not one per
   * player: with a pipeline of one script per join, AUTH=token cost ~18% more CPU per join than
   * AUTH=none (issue 21 asks at most 10%).
   */
  private call(user: string, operation: Operation): Promise<Array<string | number>> {
    return new Promise((resolve, reject) => {
      let batch = this.queued.get(user);
      if (!batch) {
        batch = [];
        this.queued.set(user, batch);
        setImmediate(() => this.send(user));
      }
      batch.push({ operation, resolve, reject });
    });
  }

  private send(user: string): void {
    const batch = this.queued.get(user) ?? [];
    this.queued.delete(user);
    const args: Array<string | number> = [];
    for (const { operation } of batch) args.push(...operation);
    this.commands.aceUserOps(...this.userKeys(user), this.now(), ...args).then(
      (reply) => {
        // Each answer is its length, then its values.
        let at = 0;
        for (const queued of batch) {
          const length = Number(reply[at]);
          queued.resolve(reply.slice(at + 1, at + 1 + length));
          at += 1 + length;
        }
      },
      (err: unknown) => {
        for (const queued of batch) queued.reject(err);
      },
    );
  }

  async admit(request: AdmissionRequest): Promise<Admission> {
    const { user, limits } = request;
    const reply = await this.call(user, [
      'admit',
      request.connection,
      request.stream,
      request.ttlMs,
      limits.channels,
      limits.connections,
      limits.policy,
    ]);
    if (Number(reply[0]) === 0) {
      const limit = String(reply[1]) as LimitName;
      return { admitted: false, limit, allowed: limits[limit] };
    }
    const evicted: Evicted[] = [];
    for (let i = 1; i < reply.length; i += 2) evicted.push({ connection: String(reply[i]), stream: String(reply[i + 1]) });
    return { admitted: true, evicted };
  }

  async release(user: string, connection: string): Promise<void> {
    await this.call(user, ['release', connection, '', 0, '', '', '']);
  }

  async end(user: string, connection: string, rememberMs: number): Promise<void> {
    await this.call(user, ['release', connection, '', rememberMs, '', '', '']);
  }

  async refresh(entries: readonly RefreshEntry[]): Promise<RefreshResult> {
    const byUser = new Map<string, Lease[]>();
    for (const { user, connection, ttlMs } of entries) {
      const leases = byUser.get(user) ?? [];
      leases.push({ member: connection, ttlMs });
      byUser.set(user, leases);
    }
    // One script per user; users hash to slots of their own on a cluster, so these go side by side, not in one pipeline.
    // The connections' channels (a hash beside the lease set) lose their lapsed entries with them.
    const now = this.now();
    const replies = await Promise.all(
      [...byUser].map(([user, leases]) => {
        const [set, streams, ended] = this.userKeys(user);
        return this.leases.extend({ set, beside: [streams], ended }, now, leases);
      }),
    );
    return { missing: replies.flatMap((r) => r.missing), ended: replies.flatMap((r) => r.ended) };
  }

  async connections(user: string): Promise<LiveConnection[]> {
    const [ids, raw] = await Promise.all([
      this.redis.zrangebyscore(this.keys.userConnections(user), `(${this.now()}`, '+inf'),
      this.redis.hgetall(this.keys.userConnectionStreams(user)),
    ]);
    const live: LiveConnection[] = [];
    for (const connection of ids) {
      const value = raw[connection];
      if (value === undefined) continue;
      const colon = value.indexOf(':');
      live.push({ connection, admittedAt: Number(value.slice(0, colon)), stream: value.slice(colon + 1) });
    }
    return live.sort((a, b) => a.admittedAt - b.admittedAt || (a.connection < b.connection ? -1 : 1));
  }
}
