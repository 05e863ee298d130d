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
}

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
}

export class SessionRegistry {
  private readonly byContent = new Map<string, Session>();
  private readonly byPlayback = new Map<string, Session>();
  private started = 0;
  private stopped = 0;
  private reasons: Record<StopReason, number> = { command: 0, replaced: 0, idle: 0, eof: 0 };

  constructor(private readonly idleTimeoutMs: number) {}

  /** Like the real engine: the same pid keeps its session, a new pid replaces the old one. */
  open(id: string, pid: string, faults: Faults): Session {
    const current = this.byContent.get(id);
    if (current && current.pid === pid) return current;
    if (current) this.stop(current, 'replaced');
    const session: Session = {
      id,
      pid,
      playbackSessionId: randomBytes(20).toString('hex'),
      number: ++this.started,
      startedAt: Date.now(),
      faults,
      readers: new Set(),
      bytesSent: 0,
      idleTimer: null,
    };
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
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = null;
    res.once('close', () => {
      session.readers.delete(res);
      if (this.byPlayback.has(session.playbackSessionId)) this.armIdle(session);
    });
  }

  /** Ends the session and its readers' responses. */
  stop(session: Session, reason: StopReason): void {
    if (!this.byPlayback.delete(session.playbackSessionId)) return;
    if (this.byContent.get(session.id) === session) this.byContent.delete(session.id);
    if (session.idleTimer) clearTimeout(session.idleTimer);
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
    };
  }

  // A real engine drops a session nobody reads for a while.
  private armIdle(session: Session): void {
    if (session.readers.size > 0 || this.idleTimeoutMs <= 0) return;
    session.idleTimer = setTimeout(() => this.stop(session, 'idle'), this.idleTimeoutMs);
    session.idleTimer.unref();
  }
}
