// A worker's running totals for /metrics: plain counters bumped where the numbers already are.

/** Counters only ever grow while the worker lives; a restarted worker starts from zero. */
export class WorkerStats {
  clientsJoined = 0;
  /** Joins that got less backlog than PROXY_INITIAL_BEHIND_SECONDS because of the join burst budget. */
  joinsTrimmed = 0;
  /** Dropped because they kept falling out of the buffer. */
  clientsDropped = 0;
  /** Jumps to the live edge of clients that fell behind the buffer. */
  clientSkips = 0;
  bytesSent = 0;
  engineBytes = 0;
  chunksAppended = 0;
  engineReconnects = 0;
  engineSwitches = 0;
  takeovers = 0;
  /** Where durations go (the gateway's histograms); nowhere unless the manager is given some. */
  timings: Timings = NO_TIMINGS;
}

/** Durations measured where they happen, in seconds; the gateway turns them into histograms. */
export interface Timings {
  /** From a player's join to the first random access point written to it. */
  firstPicture(seconds: number): void;
  /** From asking an engine for a session to its first byte. */
  engineStart(seconds: number): void;
  /** Silence players of a taken-over stream saw: last chunk before the takeover to the first after. */
  takeoverGap(seconds: number): void;
  /** From a chunk's announcement to this worker having written it to its up-to-date players. */
  chunkAge(seconds: number): void;
}

const ignore = () => {};
export const NO_TIMINGS: Timings = { firstPicture: ignore, engineStart: ignore, takeoverGap: ignore, chunkAge: ignore };

export type WorkerCounters = { [K in keyof WorkerStats as WorkerStats[K] extends number ? K : never]: number };

/** The counters alone (without the timings sink), as plain numbers. */
export function countersOf(stats: WorkerStats): WorkerCounters {
  const { timings: _timings, ...counters } = stats;
  return counters;
}

/** What a worker reports: its counters, and gauges read at the moment of the snapshot. */
export interface WorkerSnapshot {
  counters: WorkerCounters;
  clients: number;
  streamsServed: number;
  streamsOwned: number;
}
