// Builds MPEG-TS packets: PSI sections with CRC, PES packetization with PCR and random access marks.

const PACKET = 188;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32/MPEG-2, as PSI sections carry it. */
export function crc32mpeg(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc >>> 0;
}

/** Continuity counters per PID: incremented for every packet that carries payload. */
export class ContinuityCounters {
  private readonly counters = new Map<number, number>();
  next(pid: number): number {
    const cc = ((this.counters.get(pid) ?? 15) + 1) & 0x0f;
    this.counters.set(pid, cc);
    return cc;
  }
  /** The counter a packet without payload repeats. */
  current(pid: number): number {
    return this.counters.get(pid) ?? 0;
  }
}

function header(packet: Buffer, pid: number, pusi: boolean, afc: number, cc: number): void {
  packet[0] = 0x47;
  packet[1] = (pusi ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  packet[2] = pid & 0xff;
  packet[3] = (afc << 4) | cc;
}

/** One packet holding a whole PSI section (section bytes without CRC; the CRC is appended). */
export function psiPacket(pid: number, section: Buffer, cc: number): Buffer {
  const packet = Buffer.alloc(PACKET, 0xff);
  header(packet, pid, true, 1, cc);
  packet[4] = 0; // pointer_field
  section.copy(packet, 5);
  packet.writeUInt32BE(crc32mpeg(section), 5 + section.length);
  return packet;
}

export function patSection(programNumber: number, pmtPid: number): Buffer {
  // table_id 0, section_syntax 1, length 13, ts_id 1, version 0 current, section 0/0, one program.
  return Buffer.from([
    0x00,
    0xb0,
    0x0d,
    0x00,
    0x01,
    0xc1,
    0x00,
    0x00,
    (programNumber >> 8) & 0xff,
    programNumber & 0xff,
    0xe0 | ((pmtPid >> 8) & 0x1f),
    pmtPid & 0xff,
  ]);
}

export interface PmtStream {
  streamType: number;
  pid: number;
}

export function pmtSection(programNumber: number, pcrPid: number, streams: PmtStream[]): Buffer {
  const body: number[] = [
    (programNumber >> 8) & 0xff,
    programNumber & 0xff,
    0xc1,
    0x00,
    0x00,
    0xe0 | ((pcrPid >> 8) & 0x1f),
    pcrPid & 0xff,
    0xf0,
    0x00,
  ];
  for (const s of streams) body.push(s.streamType, 0xe0 | ((s.pid >> 8) & 0x1f), s.pid & 0xff, 0xf0, 0x00);
  const length = body.length + 4; // + CRC
  return Buffer.from([0x02, 0xb0 | ((length >> 8) & 0x0f), length & 0xff, ...body]);
}

/** The 6 PCR bytes of an adaptation field for a 27 MHz count. */
export function pcrBytes(pcr: number): number[] {
  const base = Math.floor(pcr / 300) % 2 ** 33;
  const ext = pcr % 300;
  return [
    Math.floor(base / 2 ** 25) & 0xff,
    Math.floor(base / 2 ** 17) & 0xff,
    Math.floor(base / 2 ** 9) & 0xff,
    Math.floor(base / 2) & 0xff,
    ((base & 1) << 7) | 0x7e | ((ext >> 8) & 1),
    ext & 0xff,
  ];
}

function timestamp(prefix: number, ts: number): number[] {
  const t = ts % 2 ** 33;
  return [
    (prefix << 4) | ((Math.floor(t / 2 ** 30) & 0x07) << 1) | 1,
    Math.floor(t / 2 ** 22) & 0xff,
    ((Math.floor(t / 2 ** 15) & 0x7f) << 1) | 1,
    Math.floor(t / 2 ** 7) & 0xff,
    ((t & 0x7f) << 1) | 1,
  ];
}

export interface PesOptions {
  pid: number;
  streamId: number;
  pts: number;
  dts?: number;
  /** PCR in 27 MHz units, carried in the first packet's adaptation field. */
  pcr?: number;
  randomAccess?: boolean;
}

/** Splits one PES packet (header + `payload`) into TS packets; the last is padded by stuffing. */
export function pesPackets(payload: Buffer, options: PesOptions, counters: ContinuityCounters): Buffer {
  const hasDts = options.dts !== undefined && options.dts !== options.pts;
  const ptsBytes = hasDts ? [...timestamp(0x3, options.pts), ...timestamp(0x1, options.dts!)] : timestamp(0x2, options.pts);
  const pesHeader = Buffer.from([0, 0, 1, options.streamId, 0, 0, 0x80, hasDts ? 0xc0 : 0x80, ptsBytes.length, ...ptsBytes]);
  // Video PES may leave the length 0 (unbounded); others state it.
  const pesLength = options.streamId >= 0xe0 ? 0 : pesHeader.length - 6 + payload.length;
  if (pesLength > 0xffff) throw new RangeError('PES payload too large');
  pesHeader.writeUInt16BE(pesLength, 4);
  const data = Buffer.concat([pesHeader, payload]);

  const packets: Buffer[] = [];
  let pos = 0;
  let first = true;
  while (pos < data.length) {
    // Adaptation field bytes after its length byte; null when the packet has none.
    let adaptation: number[] | null = null;
    if (first && (options.pcr !== undefined || options.randomAccess)) {
      adaptation = [(options.randomAccess ? 0x40 : 0) | (options.pcr !== undefined ? 0x10 : 0)];
      if (options.pcr !== undefined) adaptation.push(...pcrBytes(options.pcr));
    }
    const room = PACKET - 4 - (adaptation ? 1 + adaptation.length : 0);
    const stuffing = room - (data.length - pos);
    if (stuffing > 0) {
      // Stuff the adaptation field so the payload ends exactly at the packet end.
      if (adaptation) adaptation.push(...new Array<number>(stuffing).fill(0xff));
      else adaptation = stuffing === 1 ? [] : [0x00, ...new Array<number>(stuffing - 2).fill(0xff)];
    }
    const packet = Buffer.alloc(PACKET, 0xff);
    header(packet, options.pid, first, adaptation ? 3 : 1, counters.next(options.pid));
    let at = 4;
    if (adaptation) {
      packet[at++] = adaptation.length;
      for (const b of adaptation) packet[at++] = b;
    }
    const take = PACKET - at;
    data.copy(packet, at, pos, pos + take);
    pos += take;
    packets.push(packet);
    first = false;
  }
  return Buffer.concat(packets);
}
