// One worker's players of users (AUTH=token): admitted against their user's limits, refreshed while
// they play, released when they end, cut when their user is revoked or over a limit.

import type { AdmissionStore, Evicted, Holder, Principal, UserLimits } from '@acestream-proxy/accounts';
import { UserLimitError } from '@acestream-proxy/accounts';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import type { Logger } from '@acestream-proxy/stream';

export type PlayerKind = 'ts' | 'hls';

/** A player this worker serves, as the revocation watch and the refresh see it. */
export interface LocalPlayer extends Holder {
  readonly connection: string;
  readonly stream: StreamId;
  readonly kind: PlayerKind;
  readonly limits: UserLimits;
  readonly since: number;
  /** HLS: the last request of the session on this worker. */
  seenAt: number;
  /** TS: destroys the response; HLS: the session's next requests here are refused. */
  end(reason: string): void;
}

/** An HLS session of a user that was ended (evicted, revoked, disconnected): its requests get 410. */
export class PlayerEndedError extends Error {
  readonly code = 'player_ended';
  constructor() {
    super('this player was ended (its user is over a limit, or was disconnected or revoked); load the playlist again');
    this.name = 'PlayerEndedError';
  }
}

export interface UserPlayersOptions {
  admission: AdmissionStore;
  /** Ends a TS player wherever it is connected (the stream's event channel). */
  dropClient(id: StreamId, clientId: string): Promise<void>;
  /** How long an admission holds without a refresh: TS players (the ghost timeout), HLS sessions (their timeout). */
  ttlMs: { ts: number; hls: number };
  /** How often this worker refreshes its players' admissions (well under both TTLs). */
  refreshMs: number;
  logger: Logger;
}

export class UserPlayers {
  private readonly players = new Map<string, LocalPlayer>();
  /** HLS sessions ended here, and until when their requests are refused. */
  private readonly ended = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private ticking: Promise<void> | null = null;

  constructor(private readonly options: UserPlayersOptions) {
    this.timer = setInterval(() => {
      this.ticking ??= this.refresh().finally(() => {
        this.ticking = null;
      });
    }, options.refreshMs);
    this.timer.unref();
  }

  /**
   * Admits a new player of `who` on channel `stream`: one atomic step in the admission store. Over
   * a limit, policy `refuse` rejects with UserLimitError (429); policy `oldest` has ended the
   * user's oldest players, which stop wherever they run (see `evicted`).
   */
  async admit(who: Principal, connection: string, stream: StreamId, kind: PlayerKind): Promise<void> {
    const { user } = who;
    const result = await this.options.admission.admit({
      user: user.name,
      limits: user.limits,
      connection,
      stream,
      ttlMs: this.options.ttlMs[kind],
    });
    if (!result.admitted) throw new UserLimitError(result.limit, result.allowed);
    for (const gone of result.evicted) this.evicted(user.name, gone);
  }

  /** A TS player admitted by `admit` and now served: `end` cuts it. */
  trackTs(who: Principal, connection: string, stream: StreamId, end: () => void): void {
    this.track(who, connection, stream, 'ts', () => end());
  }

  /** The TS player's connection closed (or its join failed): its slot and channel are free at once, cluster-wide. */
  leave(user: string, connection: string): void {
    this.players.delete(connection);
    this.releaseEntry(user, connection);
  }

  /** A new HLS session (the manifest request): admitted, then tracked here. */
  async startHls(who: Principal, session: string, stream: StreamId): Promise<void> {
    await this.admit(who, session, stream, 'hls');
    this.trackHls(who, session, stream);
  }

  /**
   * A request of an HLS session (its playlist or a segment). Known here: kept alive. First seen
   * here: its admission must still hold (it was admitted where its manifest was asked for), or fit
   * again (a Redis that restarted empty forgot it); an ended session gets PlayerEndedError.
   */
  async hlsRequest(who: Principal, session: string, stream: StreamId): Promise<void> {
    if (this.ended.has(session)) throw new PlayerEndedError();
    const known = this.players.get(session);
    if (known) {
      known.seenAt = Date.now();
      return;
    }
    const ttlMs = this.options.ttlMs.hls;
    const { ended, missing } = await this.options.admission.refresh([{ user: who.user.name, connection: session, ttlMs }]);
    const back = missing.length === 0 || (await this.readmit(who.user.name, who.user.limits, session, stream, 'hls'));
    if (ended.length > 0 || !back) {
      this.ended.set(session, Date.now() + 2 * ttlMs);
      throw new PlayerEndedError();
    }
    this.trackHls(who, session, stream);
  }

  /** The players this worker serves (what the revocation watch looks at). */
  live(): Iterable<LocalPlayer> {
    return this.players.values();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private trackHls(who: Principal, session: string, stream: StreamId): void {
    this.track(who, session, stream, 'hls', () => {
      const rememberMs = 2 * this.options.ttlMs.hls;
      this.players.delete(session);
      this.ended.set(session, Date.now() + rememberMs);
      // Remembered cluster-wide: a worker that has not served the session yet refuses it too.
      this.options.admission.end(who.user.name, session, rememberMs).catch((err: Error) => {
        this.options.logger.warn('user player end failed', { user: who.user.name, client_id: session, error: err.message });
      });
    });
  }

  private track(who: Principal, connection: string, stream: StreamId, kind: PlayerKind, end: () => void): void {
    const now = Date.now();
    const player: LocalPlayer = {
      user: who.user.name,
      tokenHash: who.tokenHash,
      connection,
      stream,
      kind,
      limits: who.user.limits,
      since: now,
      seenAt: now,
      end: (reason) => {
        this.options.logger.info('player cut', { user: player.user, client_id: connection, stream_id: stream, kind, reason });
        end();
      },
    };
    this.players.set(connection, player);
  }

  private releaseEntry(user: string, connection: string): void {
    this.options.admission.release(user, connection).catch((err: Error) => {
      // Not fatal: the entry lapses with its TTL.
      this.options.logger.warn('user player release failed', { user, client_id: connection, error: err.message });
    });
  }

  /** A player the `oldest` policy ended: here at once, elsewhere through its stream's channel or its worker's next refresh. */
  private evicted(user: string, gone: Evicted): void {
    const local = this.players.get(gone.connection);
    if (local) {
      local.end('oldest');
      return;
    }
    let id: StreamId;
    try {
      id = parseStreamId(gone.stream);
    } catch {
      return;
    }
    // A TS player elsewhere ends through its stream's event channel; an HLS session elsewhere at
    // its worker's next refresh, which finds its admission gone and its place taken.
    this.options.dropClient(id, gone.connection).catch((err: Error) => {
      this.options.logger.warn('could not end an evicted player', { user, client_id: gone.connection, error: err.message });
    });
  }

  /** Admits again, never evicting: a player whose entry vanished comes back only if it fits. */
  private async readmit(user: string, limits: UserLimits, connection: string, stream: StreamId, kind: PlayerKind) {
    const result = await this.options.admission.admit({
      user,
      limits: { ...limits, policy: 'refuse' },
      connection,
      stream,
      ttlMs: this.options.ttlMs[kind],
    });
    return result.admitted;
  }

  /**
   * Refreshes every player's admission (one script per user). A player whose entry was ended
   * (evicted by a newer one, cut elsewhere) ends here too; one whose entry vanished (a Redis that
   * came back empty) is admitted again if it fits, without evicting anyone, and ends otherwise.
   */
  private async refresh(): Promise<void> {
    const { ttlMs, logger } = this.options;
    const now = Date.now();
    for (const [session, until] of this.ended) if (until <= now) this.ended.delete(session);
    const entries = [];
    for (const p of this.players.values()) {
      if (p.kind === 'hls' && now - p.seenAt > ttlMs.hls) {
        // The session stopped asking here. It may go on through other workers, which keep its
        // entry; once nobody refreshes it, it lapses with its TTL.
        this.players.delete(p.connection);
        continue;
      }
      entries.push({ user: p.user, connection: p.connection, ttlMs: ttlMs[p.kind] });
    }
    if (entries.length === 0) return;
    try {
      const { ended, missing } = await this.options.admission.refresh(entries);
      for (const connection of ended) this.players.get(connection)?.end('ended');
      for (const connection of missing) {
        const p = this.players.get(connection);
        if (p && !(await this.readmit(p.user, p.limits, p.connection, p.stream, p.kind))) p.end('over_limit');
      }
    } catch (err) {
      logger.warn('user players refresh failed', { error: (err as Error).message });
    }
  }
}
