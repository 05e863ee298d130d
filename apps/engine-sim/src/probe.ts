// The probe packet: a private PID carrying sequence, send time and byte count, for loss and latency.

/** Not listed in the PMT, so players ignore it. */
export const PROBE_PID = 0x1ff0;
const MAGIC = Buffer.from('ASIM');

export interface Probe {
  /** Per engine session, from 0, +1 per probe. */
  seq: number;
  /** Send time, ms since the epoch, sub-millisecond precision. */
  sentAt: number;
  /** Bytes of this session sent before this probe packet. */
  bytesBefore: number;
  /** Which engine session (1, 2, ...) of the simulator produced it. */
  session: number;
}

export function encodeProbe(probe: Probe, cc: number): Buffer {
  const packet = Buffer.alloc(188, 0xff);
  packet[0] = 0x47;
  packet[1] = (PROBE_PID >> 8) & 0x1f;
  packet[2] = PROBE_PID & 0xff;
  packet[3] = 0x10 | (cc & 0x0f);
  MAGIC.copy(packet, 4);
  packet.writeUInt32BE(probe.seq >>> 0, 8);
  packet.writeDoubleBE(probe.sentAt, 12);
  packet.writeBigUInt64BE(BigInt(probe.bytesBefore), 20);
  packet.writeUInt32BE(probe.session >>> 0, 28);
  return packet;
}

/** The probe in a 188-byte packet at `off`, or null when it is not one. */
export function decodeProbe(buf: Buffer, off = 0): Probe | null {
  if (buf[off] !== 0x47) return null;
  if ((((buf[off + 1]! & 0x1f) << 8) | buf[off + 2]!) !== PROBE_PID) return null;
  if (buf.compare(MAGIC, 0, 4, off + 4, off + 8) !== 0) return null;
  return {
    seq: buf.readUInt32BE(off + 8),
    sentAt: buf.readDoubleBE(off + 12),
    bytesBefore: Number(buf.readBigUInt64BE(off + 20)),
    session: buf.readUInt32BE(off + 28),
  };
}

/**
 * Finds probes in a TS byte stream fed in arbitrary pieces (a capture, a socket). Expects the
 * stream to start on a packet boundary, as the proxy's output does; keeps partial packets.
 */
export class ProbeScanner {
  private carry: Buffer | null = null;

  push(data: Buffer): Probe[] {
    const buf = this.carry ? Buffer.concat([this.carry, data]) : data;
    const probes: Probe[] = [];
    let off = 0;
    for (; off + 188 <= buf.length; off += 188) {
      if (buf[off] !== 0x47) {
        // Out of step (should not happen on proxy output): find the next sync byte.
        const next = buf.indexOf(0x47, off + 1);
        if (next < 0) {
          off = buf.length;
          break;
        }
        off = next - 188;
        continue;
      }
      const probe = decodeProbe(buf, off);
      if (probe) probes.push(probe);
    }
    this.carry = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
    return probes;
  }
}
