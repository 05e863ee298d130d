// Poll-until-deadline: the only way tests wait for something to become true.

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error so a failure says what never happened. */
  what?: string;
}

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, what = 'condition' }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Polls `read` every `intervalMs` until two readings in a row are equal, and returns it: for
 * "this has stopped moving" (a stalled stream, a frozen counter).
 */
export async function waitForSteady<T>(read: () => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
  let last: T | typeof UNSET = UNSET;
  let steady: T | typeof UNSET = UNSET;
  await waitFor(
    async () => {
      const now = await read();
      if (now === last) steady = now;
      last = now;
      return steady !== UNSET;
    },
    { intervalMs: 300, ...options },
  );
  return steady as T;
}

const UNSET = Symbol('unset');
