// What is on now: the next day of each programmes part, kept small, so the status page can say it
// without reading the guide.

/** Programmes kept per part: those running within this long after its refresh (a day and some: the default refresh is 12 h). */
export const SCHEDULE_WINDOW_MS = 26 * 3_600_000;
/** A title longer than this is cut: the status page shows one line. */
const TITLE_CHARS = 120;

/** [start, stop (epoch ms), title]. */
export type ScheduleEntry = [number, number, string];

/** What a channel shows at a moment. */
export interface NowOn {
  title: string;
  /** Epoch ms. */
  start: number;
  stop: number;
}

const XMLTV_TIME = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?\s*(?:([+-])(\d\d)(\d\d))?$/;

/** An XMLTV time (`20300101000000 +0100`; seconds and zone optional, UTC without one) in epoch ms, or null. */
export function xmltvTime(text: string): number | null {
  const m = XMLTV_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', sign, zh = '0', zm = '0'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = (Number(zh) * 60 + Number(zm)) * 60_000;
  return sign === '-' ? utc + offset : utc - offset;
}

/** Gathers, during a source's parse, the programmes within [from, from + SCHEDULE_WINDOW_MS). */
export class ScheduleCollector {
  private readonly byChannel = new Map<string, ScheduleEntry[]>();
  private readonly from: number;
  private readonly to: number;

  constructor(from: number) {
    this.from = from;
    this.to = from + SCHEDULE_WINDOW_MS;
  }

  add(channel: string, start: string, stop: string, title: string): void {
    const begins = xmltvTime(start);
    if (begins === null || begins >= this.to) return;
    // XMLTV lets stop be left out: the programme then runs until the channel's next one starts.
    const ends = xmltvTime(stop) ?? Number.POSITIVE_INFINITY;
    if (ends <= this.from) return;
    let entries = this.byChannel.get(channel);
    if (!entries) {
      entries = [];
      this.byChannel.set(channel, entries);
    }
    entries.push([begins, ends, title.slice(0, TITLE_CHARS)]);
  }

  /**
   * Channel id → its entries as JSON, `size` channels at a time (each batch a few hundred kB, one
   * short write: a day of 2,000 channels in one would hold the event loop and Redis for tens of ms).
   * Stop times left out are filled in from the next start.
   */
  *batches(size: number): Generator<Map<string, string>> {
    let batch = new Map<string, string>();
    for (const [channel, entries] of this.byChannel) {
      entries.sort((a, b) => a[0] - b[0]);
      entries.forEach((entry, i) => {
        if (entry[1] === Number.POSITIVE_INFINITY) entry[1] = entries[i + 1]?.[0] ?? entry[0];
      });
      batch.set(channel, JSON.stringify(entries));
      if (batch.size >= size) {
        yield batch;
        batch = new Map();
      }
    }
    if (batch.size > 0) yield batch;
  }
}

/** The programme of `json` (a channel's stored entries) running at `at`, or null. */
export function nowOn(json: string, at: number): NowOn | null {
  for (const [start, stop, title] of JSON.parse(json) as ScheduleEntry[]) {
    if (start <= at && at < stop) return { title, start, stop };
  }
  return null;
}
