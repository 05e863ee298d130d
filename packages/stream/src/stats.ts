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
}

/** What a worker reports: its counters, and gauges read at the moment of the snapshot. */
export interface WorkerSnapshot {
  counters: { [K in keyof WorkerStats]: number };
  clients: number;
  streamsServed: number;
  streamsOwned: number;
}
