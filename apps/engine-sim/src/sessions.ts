// Engine sessions, one per content id at a time, and the counters tests read through /sim/sessions.

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Faults } from './faults.js';

export type StopReason = 'command' | 'replaced' | 'idle' | 'eof';

export interface Session {
  id: string;
  pid: string;
  playbackSessionId: string;
  number: number;
  startedAt: number;
  faults: Faults;
  readers: Set<ServerResponse>;
  bytesSent: number;
  idleTimer: NodeJS.Timeout | null;
  /** When a reader first attached, and when the last one left (null while one reads); ms since the epoch. */
  firstReadAt: number | null;
  readEndedAt: number | null;
  stoppedAt: number | null;
  stopReason: StopReason | null;
}

/** One session as `/sim/sessions` lists it in `history` (also once ended): when it was read. */
export interface SessionRecord {
  id: string;
  pid: string;
  playback_session_id: string;
  started_at: number;
  /** When its first reader attached (null: never read). */
  first_read_at: number | null;
  /** When its last reader left (null: still read, or never). */
  read_ended_at: number | null;
  stopped_at: number | null;
  stop_reason: StopReason | null;
}

/** Sessions kept in `history`, newest last. */
const HISTORY = 1000;

export interface SimStats {
  started: number;
  stopped: number;
  active: number;
  sessions: Array<{
    id: string;
    pid: string;
    playback_session_id: string;
    readers: number;
    bytes_sent: number;
    started_at: number;
  }>;
  stop_reasons: Record<StopReason, number>;
  /** The last sessions opened, ended or not: tests measure how long two sessions of one content were read at once. */
  history: SessionRecord[];
}

export class SessionRegistry {
  private readonly byContent = new Map<string, Session>();
  private readonly byPlayback = new Map<string, Session>();
  private readonly history: Session[] = [];
  private started = 0;
  private stopped = 0;
  private reasons: Record<StopReason, number> = { command: 0, replaced: 0, idle: 0, eof: 0 };

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly firstSession = 1,
  ) {}

  /** Like the real engine: the same pid keeps its session, a new pid replaces the old one. */
  open(id: string, pid: string, faults: Faults): Session {
    const current = this.byContent.get(id);
    if (current && current.pid === pid) return current;
    if (current) this.stop(current, 'replaced');
    const session: Session = {
      id,
      pid,
      playbackSessionId: randomBytes(20).toString('hex'),
      number: this.firstSession + this.started++,
      startedAt: Date.now(),
      faults,
      readers: new Set(),
      bytesSent: 0,
      idleTimer: null,
      firstReadAt: null,
      readEndedAt: null,
      stoppedAt: null,
      stopReason: null,
    };
    this.history.push(session);
    if (this.history.length > HISTORY) this.history.shift();
    this.byContent.set(id, session);
    this.byPlayback.set(session.playbackSessionId, session);
    this.armIdle(session);
    return session;
  }

  find(playbackSessionId: string): Session | undefined {
    return this.byPlayback.get(playbackSessionId);
  }

  addReader(session: Session, res: ServerResponse): void {
    session.readers.add(res);
    session.firstReadAt ??= Date.now();
    session.readEndedAt = null;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = null;
    res.once('close', () => {
      session.readers.delete(res);
      if (session.readers.size === 0) session.readEndedAt = Date.now();
      if (this.byPlayback.has(session.playbackSessionId)) this.armIdle(session);
    });
  }

  /** Ends the session and its readers' responses. */
  stop(session: Session, reason: StopReason): void {
    if (!this.byPlayback.delete(session.playbackSessionId)) return;
    if (this.byContent.get(session.id) === session) this.byContent.delete(session.id);
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.stoppedAt = Date.now();
    session.stopReason = reason;
    this.stopped++;
    this.reasons[reason]++;
    for (const reader of session.readers) reader.end();
  }

  stopAll(): void {
    for (const session of [...this.byPlayback.values()]) this.stop(session, 'command');
  }

  reset(): void {
    this.stopAll();
    this.started = 0;
    this.stopped = 0;
    this.history.length = 0;
    this.reasons = { command: 0, replaced: 0, idle: 0, eof: 0 };
  }

  stats(): SimStats {
    return {
      started: this.started,
      stopped: this.stopped,
      active: this.byPlayback.size,
      sessions: [...this.byPlayback.values()].map((s) => ({
        id: s.id,
        pid: s.pid,
        playback_session_id: s.playbackSessionId,
        readers: s.readers.size,
        bytes_sent: s.bytesSent,
        started_at: s.startedAt,
      })),
      stop_reasons: { ...this.reasons },
      history: this.history.map((s) => ({
        id: s.id,
        pid: s.pid,
        playback_session_id: s.playbackSessionId,
        started_at: s.startedAt,
        first_read_at: s.firstReadAt,
        read_ended_at: s.readEndedAt,
        stopped_at: s.stoppedAt,
        stop_reason: s.stopReason,
      })),
    };
  }

  // A real engine drops a session nobody reads for a while.
  private armIdle(session: Session): void {
    if (session.readers.size > 0 || this.idleTimeoutMs <= 0) return;
    session.idleTimer = setTimeout(() => this.stop(session, 'idle'), this.idleTimeoutMs);
    session.idleTimer.unref();
  }
}
