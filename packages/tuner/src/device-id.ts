// HDHomeRun DeviceIDs: eight hex digits whose last digit is a check digit (libhdhomerun's rule).

import { createHash, randomInt } from 'node:crypto';

/**
 * libhdhomerun's check-digit table: nibbles at bit offsets 28, 20, 12 and 4 go through it, the
 * others are taken as they are, and a valid id XORs to zero. Media servers (Plex among them)
 * drop a tuner whose id fails the check.
 */
const TABLE = [0xa, 0x5, 0xf, 0x6, 0x7, 0xc, 0x1, 0xb, 0x9, 0x2, 0x8, 0xd, 0x4, 0x3, 0xe, 0x0];

function checksum(id: number): number {
  let sum = 0;
  for (let shift = 28; shift >= 0; shift -= 4) {
    const nibble = (id >>> shift) & 0xf;
    sum ^= (shift / 4) % 2 === 1 ? TABLE[nibble]! : nibble;
  }
  return sum;
}

/** True for an eight-hex-digit id that passes the HDHomeRun check. */
export function isValidDeviceId(id: string): boolean {
  return /^[0-9A-Fa-f]{8}$/.test(id) && checksum(Number.parseInt(id, 16)) === 0;
}

/**
 * A valid id from 24 bits: model byte 0x13 (outside the ranges libhdhomerun treats as legacy
 * firmware), the 24 bits, then the check digit that makes the whole XOR to zero.
 */
function fromBits(bits: number): string {
  const body = (0x13 << 24) | ((bits & 0xffffff) << 4);
  // The last nibble is taken as it is, so the check digit is the XOR of all the others.
  return ((body | checksum(body)) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** A random valid DeviceID, for an installation choosing its own once. */
export function randomDeviceId(): string {
  return fromBits(randomInt(0, 0x1000000));
}

/** A valid DeviceID derived from a stable seed (embedded mode: the host name and port). */
export function deviceIdFrom(seed: string): string {
  return fromBits(createHash('sha256').update(seed).digest().readUIntBE(0, 3));
}

/** DeviceAuth, which HDHomeRun clients pass back to SiliconDust's guide service: ours is only a stable token. */
export function deviceAuthOf(deviceId: string): string {
  return createHash('sha256').update(`acestream-proxy:${deviceId}`).digest('base64url').slice(0, 24);
}
