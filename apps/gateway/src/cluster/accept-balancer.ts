// The primary's choice of which workers accept from the shared socket (see shared-socket.ts): least
// connections within a margin, ready workers first, with slack while a storm of connections lasts.

import { ACCEPTORS_PER_WORKER } from './shared-socket.js';

/**
 * A worker may have this share more connections than the least loaded one before it stops
 * accepting, and starts again once within half of it: none among a few players (least connections
 * exactly), some slack in a storm so the workers do not take turns closing and reopening their
 * copies.
 */
const MARGIN_SHARE = 0.1;

/**
 * A storm: the workers' connections grew by at least a turn's accepts (ACCEPTORS_PER_WORKER) within
 * this window. A worker may then be that many ahead: it takes up to that many in one turn before
 * its next report, and pausing it for that would halve the accepting while it lasts (measured: in
 * a 2,000 storm the workers took turns pausing every few hundred ms).
 */
const STORM_WINDOW_MS = 200;

/**
 * Decides which workers accept: the ready ones whose open connections are within the margin of
 * the least loaded ready one; while no worker is ready, every live one (it holds what it accepts
 * until it is ready, then answers, or answers 503 not_ready). `tell` is called on every change.
 */
export class AcceptBalancer<W> {
  private readonly workers = new Map<W, { load: number; ready: boolean }>();
  private readonly accepting = new Set<W>();
  /** All workers' connections at each report within STORM_WINDOW_MS, oldest first. */
  private readonly totals: Array<{ at: number; total: number }> = [];

  constructor(
    private readonly tell: (worker: W, accept: boolean) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A worker's open connections (its first report says it is listening for our messages). */
  report(worker: W, connections: number): void {
    const entry = this.workers.get(worker);
    if (entry) entry.load = connections;
    else this.workers.set(worker, { load: connections, ready: false });
    this.rebalance();
  }

  /**
   * Its HTTP app is up. This may come before its first report: a worker whose set-up took less
   * than a report's delay was otherwise never let accept (all of a storm went to the other one).
   */
  ready(worker: W): void {
    const entry = this.workers.get(worker);
    if (entry?.ready) return;
    if (entry) entry.ready = true;
    else this.workers.set(worker, { load: 0, ready: true });
    this.rebalance();
  }

  /** A worker died or is stopping. */
  remove(worker: W): void {
    this.workers.delete(worker);
    this.accepting.delete(worker);
    this.rebalance();
  }

  isAccepting(worker: W): boolean {
    return this.accepting.has(worker);
  }

  private rebalance(): void {
    const anyReady = [...this.workers.values()].some((w) => w.ready);
    const eligible = [...this.workers].filter(([, w]) => w.ready || !anyReady);
    const least = Math.min(...eligible.map(([, w]) => w.load));
    const margin = Math.max(Math.floor(least * MARGIN_SHARE), this.stormSlack());
    const changes: Array<[W, boolean]> = [];
    for (const [worker, entry] of this.workers) {
      const limit = least + (this.accepting.has(worker) ? margin : Math.floor(margin / 2));
      const accept = (entry.ready || !anyReady) && entry.load <= limit;
      if (accept !== this.accepting.has(worker)) changes.push([worker, accept]);
    }
    // Those that start accepting first, so the socket is never left without a worker polling it.
    changes.sort(([, a], [, b]) => Number(b) - Number(a));
    for (const [worker, accept] of changes) {
      if (accept) this.accepting.add(worker);
      else this.accepting.delete(worker);
      this.tell(worker, accept);
    }
  }

  /** ACCEPTORS_PER_WORKER in a storm (see STORM_WINDOW_MS), else 0. */
  private stormSlack(): number {
    const at = this.now();
    let total = 0;
    for (const w of this.workers.values()) total += w.load;
    this.totals.push({ at, total });
    while (this.totals.length > 1 && this.totals[0]!.at < at - STORM_WINDOW_MS) this.totals.shift();
    return total - this.totals[0]!.total >= ACCEPTORS_PER_WORKER ? ACCEPTORS_PER_WORKER : 0;
  }
}
