// GuideNumbers: the contract of their durable store, and the in-memory store of embedded mode.

/** One channel of the lineup, as the allocator sees it. */
export interface NumberRequest {
  /** What identifies the channel across refreshes: its AceStream id. */
  channel: string;
  /** The number its source gives (`tvg-chno`), or null. */
  wanted: string | null;
}

/** A number left by a channel stays out of reuse this long, so a media server never mixes two channels up. */
export const RETIRED_HOLD_MS = 7 * 24 * 3600 * 1000;

export interface GuideNumberStore {
  /**
   * Numbers for exactly these channels, atomically for the whole cluster: a channel keeps the
   * number it has; a `wanted` number is taken when no other channel holds it; others get the
   * lowest number that is neither held, wanted by another channel, nor retired within
   * RETIRED_HOLD_MS. Channels missing from the list give their numbers up (retired `now`).
   */
  assign(requests: readonly NumberRequest[], now: number): Promise<Map<string, string>>;
  /** The installation's DeviceID: `candidate` when none is stored yet, else the stored one. */
  deviceId(candidate: string): Promise<string>;
}

/** A tvg-chno a tuner can carry: `7`, `101`, `5.1` (major.minor). */
export function usableNumber(raw: string | undefined | null): string | null {
  const value = raw?.trim();
  return value && /^\d{1,6}(\.\d{1,4})?$/.test(value) ? value.replace(/^0+(?=\d)/, '') : null;
}

/** Embedded mode: the same rules in one process (numbers last as long as the process). */
export class MemoryGuideNumberStore implements GuideNumberStore {
  private readonly numbers = new Map<string, string>();
  /** Number → when it was given up. */
  private readonly retired = new Map<string, number>();
  private device: string | null = null;

  async assign(requests: readonly NumberRequest[], now: number): Promise<Map<string, string>> {
    for (const [number, at] of this.retired) if (at <= now - RETIRED_HOLD_MS) this.retired.delete(number);
    const present = new Set(requests.map((r) => r.channel));
    const holder = new Map<string, string>();
    for (const [channel, number] of this.numbers) {
      if (present.has(channel)) holder.set(number, channel);
      else {
        this.numbers.delete(channel);
        this.retired.set(number, now);
      }
    }
    for (const { channel, wanted } of requests) {
      const current = this.numbers.get(channel);
      if (wanted === null || current === wanted || holder.has(wanted)) continue;
      if (current !== undefined) {
        holder.delete(current);
        this.retired.set(current, now);
      }
      this.retired.delete(wanted);
      this.numbers.set(channel, wanted);
      holder.set(wanted, channel);
    }
    const wantedByAny = new Set(requests.flatMap((r) => (r.wanted === null ? [] : [r.wanted])));
    let next = 1;
    for (const { channel } of requests) {
      if (this.numbers.has(channel)) continue;
      while (holder.has(String(next)) || wantedByAny.has(String(next)) || this.retired.has(String(next))) next++;
      this.numbers.set(channel, String(next));
      holder.set(String(next), channel);
    }
    return new Map(requests.map((r) => [r.channel, this.numbers.get(r.channel)!]));
  }

  async deviceId(candidate: string): Promise<string> {
    this.device ??= candidate;
    return this.device;
  }
}
