// MPEG-TS packet constants and header peeks (ISO/IEC 13818-1 §2.4.3), read in place without copies.

export const TS_PACKET_SIZE = 188;
export const SYNC_BYTE = 0x47;
export const NULL_PID = 0x1fff;
export const PAT_PID = 0;

export function packetPid(buf: Buffer, off = 0): number {
  return ((buf[off + 1]! & 0x1f) << 8) | buf[off + 2]!;
}

export function payloadUnitStart(buf: Buffer, off = 0): boolean {
  return (buf[off + 1]! & 0x40) !== 0;
}

/** adaptation_field_control: 1 payload only, 2 adaptation only, 3 both. */
export function adaptationControl(buf: Buffer, off = 0): number {
  return (buf[off + 3]! >> 4) & 0x03;
}

export function continuityCounter(buf: Buffer, off = 0): number {
  return buf[off + 3]! & 0x0f;
}

function adaptationLength(buf: Buffer, off: number): number {
  return adaptationControl(buf, off) & 0x02 ? buf[off + 4]! : -1;
}

/** Offset of the packet's payload, or -1 when it has none. */
export function payloadOffset(buf: Buffer, off = 0): number {
  const afc = adaptationControl(buf, off);
  if (!(afc & 0x01)) return -1;
  const start = afc & 0x02 ? off + 5 + buf[off + 4]! : off + 4;
  return start < off + TS_PACKET_SIZE ? start : -1;
}

/** The adaptation field's random_access_indicator: the encoder marks a clean entry point. */
export function hasRandomAccess(buf: Buffer, off = 0): boolean {
  return adaptationLength(buf, off) > 0 && (buf[off + 5]! & 0x40) !== 0;
}

/** PCR as a 27 MHz count (base × 300 + extension), or null when the packet carries none. */
export function readPcr(buf: Buffer, off = 0): number | null {
  if (adaptationLength(buf, off) < 7 || !(buf[off + 5]! & 0x10)) return null;
  const p = off + 6;
  const base = buf[p]! * 2 ** 25 + buf[p + 1]! * 2 ** 17 + buf[p + 2]! * 2 ** 9 + buf[p + 3]! * 2 + (buf[p + 4]! >> 7);
  const ext = ((buf[p + 4]! & 0x01) << 8) | buf[p + 5]!;
  return base * 300 + ext;
}

/** PTS (90 kHz) of a PES header starting in this packet, or null. */
export function readPts(buf: Buffer, off = 0): number | null {
  if (!payloadUnitStart(buf, off)) return null;
  const p = payloadOffset(buf, off);
  if (p < 0 || p + 14 > off + TS_PACKET_SIZE) return null;
  if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) return null;
  if (!(buf[p + 7]! & 0x80)) return null;
  const t = p + 9;
  return (
    ((buf[t]! >> 1) & 0x07) * 2 ** 30 +
    buf[t + 1]! * 2 ** 22 +
    (buf[t + 2]! >> 1) * 2 ** 15 +
    buf[t + 3]! * 2 ** 7 +
    (buf[t + 4]! >> 1)
  );
}
