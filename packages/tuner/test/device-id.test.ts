// DeviceIDs pass libhdhomerun's check-digit rule, and a changed digit fails it.

import { deviceIdFrom, isValidDeviceId, randomDeviceId } from '@acestream-proxy/tuner';
import { describe, expect, it } from '@jest/globals';

describe('HDHomeRun DeviceID', () => {
  it('generates ids that pass the check, and one wrong digit fails it', () => {
    for (let i = 0; i < 200; i++) {
      const id = randomDeviceId();
      expect(id).toMatch(/^[0-9A-F]{8}$/);
      expect(isValidDeviceId(id)).toBe(true);
      for (let pos = 0; pos < 8; pos++) {
        const digit = Number.parseInt(id[pos]!, 16);
        const changed = `${id.slice(0, pos)}${((digit + 1) % 16).toString(16).toUpperCase()}${id.slice(pos + 1)}`;
        expect(isValidDeviceId(changed)).toBe(false);
      }
    }
  });

  it('follows the table worked by hand, and refuses malformed ids', () => {
    expect(isValidDeviceId('1234567')).toBe(false);
    expect(isValidDeviceId('1234567G')).toBe(false);
    // 0x10000000: table[1]=5, 0, table[0]=A, 0, A, 0, A, x -> 5^A^A^A = F, so ...F is valid.
    expect(isValidDeviceId('1000000F')).toBe(true);
    expect(isValidDeviceId('1000000E')).toBe(false);
  });

  it('derives the same id from the same seed, and another from another', () => {
    expect(deviceIdFrom('host-a:8000')).toBe(deviceIdFrom('host-a:8000'));
    expect(deviceIdFrom('host-a:8000')).not.toBe(deviceIdFrom('host-b:8000'));
    expect(isValidDeviceId(deviceIdFrom('host-a:8000'))).toBe(true);
  });
});
