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
type Commands = {
  aceAdmitUser: (...args: [...UserKeys, ...Array<string | number>]) => Promise<Array<string | number>>;
  aceReleaseUser: (...args: [...UserKeys, connection: string, now: number, rememberMs: number]) => Promise<number>;
};

/** One script call waiting for its user's batch to go out. */
interface Queued {
  name: keyof Commands;
  args: Array<string | number>;
  resolve(value: unknown): void;
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
    this.commands = defineScripts<Commands>(redis, new URL('../src/commands/', import.meta.url), {
      aceAdmitUser: 'admit-3',
      aceReleaseUser: 'release-3',
    });
    this.leases = new LeaseSets(redis);
  }

  private userKeys(user: string): UserKeys {
    return [this.keys.userConnections(user), this.keys.userConnectionStreams(user), this.keys.userEnded(user)];
  }

  /**
   * Runs a user's script, batched: the calls one user makes in the same turn of the event loop
   * (a household's players arriving together, a kick-off) go out as one pipeline, one write to
   * the socket instead of one each, which was most of what AUTH=token added to a join. Each script
   * stays atomic and they run in call order; a user's keys share a hash tag, so a Cluster takes
   * the pipeline whole.
   */
  private call<T>(user: string, name: keyof Commands, args: Array<string | number>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let batch = this.queued.get(user);
      if (!batch) {
        batch = [];
        this.queued.set(user, batch);
        setImmediate(() => this.send(user));
      }
      batch.push({ name, args, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private send(user: string): void {
    const batch = this.queued.get(user) ?? [];
    this.queued.delete(user);
    if (batch.length === 1) {
      const [only] = batch as [Queued];
      (this.commands[only.name] as (...args: Array<string | number>) => Promise<unknown>)(...only.args).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    const pipeline = this.redis.pipeline() as unknown as Record<keyof Commands, (...args: Array<string | number>) => unknown> & {
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (const { name, args } of batch) pipeline[name](...args);
    pipeline.exec().then(
      (results) =>
        batch.forEach((queued, i) => {
          const [err, value] = results?.[i] ?? [new Error('the Redis pipeline answered nothing'), null];
          if (err) queued.reject(err);
          else queued.resolve(value);
        }),
      (err: unknown) => {
        for (const queued of batch) queued.reject(err);
      },
    );
  }

  async admit(request: AdmissionRequest): Promise<Admission> {
    const { user, limits } = request;
    const reply = await this.call<Array<string | number>>(user, 'aceAdmitUser', [
      ...this.userKeys(user),
      this.now(),
      request.ttlMs,
      request.connection,
      request.stream,
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
    await this.call(user, 'aceReleaseUser', [...this.userKeys(user), connection, this.now(), 0]);
  }

  async end(user: string, connection: string, rememberMs: number): Promise<void> {
    await this.call(user, 'aceReleaseUser', [...this.userKeys(user), connection, this.now(), rememberMs]);
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
