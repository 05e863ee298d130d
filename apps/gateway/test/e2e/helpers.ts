// Byte helpers for end-to-end tests; processes are started by test-utils' startStack fixture.

export { type SimSessions, setFault, simSessions, startGateway, startSim, stopAll, waitFor } from '@acestream-proxy/test-utils';

/** Drops null (keepalive) packets so captures of different clients can be compared. */
export function withoutNullPackets(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  for (let off = 0; off + 188 <= bytes.length; off += 188) {
    const pid = ((bytes[off + 1]! & 0x1f) << 8) | bytes[off + 2]!;
    if (pid !== 0x1fff) kept.push(bytes.subarray(off, off + 188));
  }
  return Buffer.concat(kept);
}

/**
 * Length of the overlap of two captures of one live stream: where the later joiner's data
 * starts inside the other's, and how many bytes from there are identical.
 */
export function overlap(a: Buffer, b: Buffer): { equalBytes: number; comparedBytes: number } {
  // Skip the first packets: a joiner's stream starts with PAT+PMT inserted just for it.
  const start = 188 * 10;
  const at = a.indexOf(b.subarray(start, start + 188 * 20));
  if (at < 0) {
    if (b.indexOf(a.subarray(start, start + 188 * 20)) < 0) return { equalBytes: 0, comparedBytes: 0 };
    return overlap(b, a);
  }
  const from = at - start;
  const compared = Math.min(a.length - from, b.length) - start;
  let equal = 0;
  while (equal < compared && a[at + equal] === b[start + equal]) equal++;
  return { equalBytes: equal, comparedBytes: compared };
}
