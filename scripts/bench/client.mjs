// Load-generator client: a raw socket per player, checking probe order/loss and sampling latency.
import net from 'node:net';
import { decodeProbe, PROBE_PID } from '../../apps/engine-sim/dist/index.js';

export class Player {
  /**
   * `light`: once the first picture is in (or at once with `firstFrame: false`), only count bytes
   * (HTTP chunk framing included, a few bytes per write): a crowd of thousands then costs the
   * load generator little more than its reads.
   */
  constructor(url, { sampleEvery = 10, light = false, firstFrame = true } = {}) {
    const u = new URL(url);
    this.light = light;
    this.watching = !light || firstFrame;
    this.started = performance.now();
    this.ttfb = NaN;
    this.bytes = 0;
    this.dataBytes = 0;
    this.loss = 0;
    this.outOfOrder = 0;
    this.latencies = [];
    this.status = 0;
    this.ended = false;
    this.lastDataAt = 0;
    this.maxGapMs = 0;
    this.gapSinceMark = 0;
    this.lastLatency = Number.POSITIVE_INFINITY;
    this.gaps = [];
    this.sampleEvery = sampleEvery;
    this.probes = 0;
    this.lastSeq = new Map();
    this.carry = null;
    this.carryLength = 0;
    this.chunkLeft = 0;
    this.crlfLeft = 0;
    this.pendingLine = null;
    // First decodable frame: PAT, PMT, then a complete video keyframe PES.
    this.firstFrameMs = NaN;
    this.pmtPid = -1;
    this.pmtSeen = false;
    this.keyframeOpen = false;
    this.headerDone = false;
    this.head = Buffer.alloc(0);
    this.socket = net.connect(Number(u.port), u.hostname);
    this.socket.setNoDelay(true);
    this.connectMs = NaN;
    this.socket.on('connect', () => {
      this.connectMs = performance.now() - this.started;
      this.socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: bench\r\nConnection: keep-alive\r\n\r\n`,
      );
    });
    this.socket.on('data', (data) => this.onData(data));
    this.socket.on('close', () => {
      this.ended = true;
    });
    this.socket.on('error', () => {
      this.ended = true;
    });
  }

  onData(data) {
    if (!this.headerDone) {
      this.head = Buffer.concat([this.head, data]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = Number(this.head.subarray(9, 12).toString());
      this.headerDone = true;
      data = this.head.subarray(end + 4);
      this.chunked = /transfer-encoding: chunked/i.test(this.head.subarray(0, end).toString());
    }
    if (!this.watching) {
      this.bytes += data.length;
      this.dataBytes += data.length;
      if (data.length > 0 && Number.isNaN(this.ttfb)) this.ttfb = performance.now() - this.started;
      return;
    }
    // The load generator reads as much as every player together: no copies of stream data, only
    // of a packet split across reads.
    const bodies = this.chunked ? this.dechunk(data) : [data];
    const now = performance.now();
    let real = 0;
    for (const body of bodies) real += this.walk(body, now);
    if (this.bytes > 0 && Number.isNaN(this.ttfb)) this.ttfb = now - this.started;
    if (real > 0) {
      if (this.lastDataAt > 0) {
        const gap = now - this.lastDataAt;
        if (gap > this.maxGapMs) this.maxGapMs = gap;
        if (gap > this.gapSinceMark) this.gapSinceMark = gap;
        if (gap > 300) this.gaps.push({ at: now, gap });
      }
      this.lastDataAt = now;
      this.dataBytes += real;
    }
  }

  /** Walks whole packets of `body` (reads split them anywhere); returns the bytes of stream data. */
  walk(body, now) {
    this.bytes += body.length;
    let real = 0;
    let off = 0;
    if (this.carryLength > 0) {
      off = Math.min(188 - this.carryLength, body.length);
      body.copy(this.carry, this.carryLength, 0, off);
      this.carryLength += off;
      if (this.carryLength < 188) return 0;
      real += this.packet(this.carry, 0, now);
      this.carryLength = 0;
    }
    for (; off + 188 <= body.length; off += 188) real += this.packet(body, off, now);
    if (off < body.length) {
      this.carry ??= Buffer.alloc(188);
      this.carryLength = body.copy(this.carry, 0, off);
    }
    return real;
  }

  /** One packet: 188 if it is stream data (not a null packet), else 0. */
  packet(buf, off, now) {
    const pid = ((buf[off + 1] & 0x1f) << 8) | buf[off + 2];
    if (pid === 0x1fff) return 0;
    if (Number.isNaN(this.firstFrameMs)) this.watchFirstFrame(buf, off, pid, now);
    if (pid === PROBE_PID) {
      const probe = decodeProbe(buf, off);
      if (probe) this.onProbe(probe, performance.timeOrigin + now);
    }
    return 188;
  }

  watchFirstFrame(buf, off, pid, now) {
    const pusi = (buf[off + 1] & 0x40) !== 0;
    if (!pusi) return;
    const hasAf = (buf[off + 3] & 0x20) !== 0;
    const p = hasAf ? off + 5 + buf[off + 4] : off + 4;
    if (pid === 0) {
      // PAT: the first program's PMT PID.
      const section = p + 1 + buf[p];
      this.pmtPid = ((buf[section + 10] & 0x1f) << 8) | buf[section + 11];
      return;
    }
    if (pid === this.pmtPid) {
      this.pmtSeen = true;
      return;
    }
    const video = buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 1 && (buf[p + 3] & 0xf0) === 0xe0;
    if (!video || !this.pmtSeen) return;
    if (this.keyframeOpen) {
      this.firstFrameMs = now - this.started;
      if (this.light) this.watching = false;
      return;
    }
    const rai = hasAf && buf[off + 4] > 0 && (buf[off + 5] & 0x40) !== 0;
    if (rai) this.keyframeOpen = true;
  }

  onProbe(probe, wall) {
    const last = this.lastSeq.get(probe.session);
    if (last !== undefined) {
      if (probe.seq > last + 1) this.loss += probe.seq - last - 1;
      else if (probe.seq <= last) this.outOfOrder++;
    }
    this.lastSeq.set(probe.session, probe.seq);
    this.lastLatency = wall - probe.sentAt;
    // Samples keep their send time, so a window can count only probes sent inside it.
    if (this.probes++ % this.sampleEvery === 0) this.latencies.push({ sentAt: probe.sentAt, ms: wall - probe.sentAt });
  }

  // Minimal HTTP/1.1 chunked decoding (the gateway answers chunked): views of `data`, and only a
  // size line split across reads is kept aside.
  dechunk(data) {
    let buf = this.pendingLine ? Buffer.concat([this.pendingLine, data]) : data;
    this.pendingLine = null;
    const out = [];
    while (buf.length > 0) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, buf.length);
        out.push(buf.subarray(0, take));
        this.chunkLeft -= take;
        buf = buf.subarray(take);
        if (this.chunkLeft > 0) break;
        this.crlfLeft = 2;
      }
      if (this.crlfLeft > 0) {
        const skip = Math.min(this.crlfLeft, buf.length);
        this.crlfLeft -= skip;
        buf = buf.subarray(skip);
        continue;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        this.pendingLine = Buffer.from(buf);
        break;
      }
      this.chunkLeft = parseInt(buf.subarray(0, eol).toString(), 16);
      buf = buf.subarray(eol + 2);
      if (this.chunkLeft === 0) break;
    }
    return out;
  }

  /** Starts measuring the longest silence (between real data) from now. */
  markGap() {
    this.gapSinceMark = 0;
  }

  close() {
    this.socket.destroy();
  }
}
