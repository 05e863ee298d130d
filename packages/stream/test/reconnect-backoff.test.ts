// The wait between attempts on one engine: none after a hiccup, then doubling with jitter, capped.

import { describe, expect, it } from '@jest/globals';
import { reconnectDelay } from '../src/owner/reconnect-backoff.js';

describe('reconnectDelay', () => {
  it('is 0 after a session that delivered, then 0.25, 0.5, 1, 2 s (±25%) and no more', () => {
    expect(reconnectDelay(0, 250)).toBe(0);
    [250, 500, 1000, 2000, 2000, 2000].forEach((nominal, i) => {
      for (let n = 0; n < 50; n++) {
        const ms = reconnectDelay(i + 1, 250);
        expect(ms).toBeGreaterThanOrEqual(nominal * 0.75);
        expect(ms).toBeLessThanOrEqual(nominal * 1.25);
      }
    });
  });

  it('is 0 whatever the attempt when PROXY_RECONNECT_BACKOFF_MS is 0', () => {
    expect(reconnectDelay(3, 0)).toBe(0);
  });
});
