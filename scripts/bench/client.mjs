// Load-generator client: a raw socket per player, checking probe order/loss and sampling latency.
import net from 'node:net';
import { decodeProbe, PROBE_PID } from '../../apps/engine-sim/dist/index.js';

export class Player {
  constructor(url, { sampleEvery = 10 } = {}) {
    const u = new URL(url);
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
    // First decodable frame: PAT, PMT, then a complete video keyframe PES.
    this.firstFrameMs = NaN;
    this.pmtPid = -1;
    this.pmtSeen = false;
    this.keyframeOpen = false;
    this.headerDone = false;
    this.head = Buffer.alloc(0);
    this.socket = net.connect(Number(u.port), u.hostname);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
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
      this.pendingChunk = Buffer.alloc(0);
    }
    const body = this.chunked ? this.dechunk(data) : data;
    if (body.length === 0) return;
    const now = performance.now();
    if (Number.isNaN(this.ttfb)) this.ttfb = now - this.started;
    this.bytes += body.length;
    // Walk whole packets (reads split them anywhere): count stream data, read probes.
    const buf = this.carry ? Buffer.concat([this.carry, body]) : body;
    const wall = performance.timeOrigin + now;
    let real = 0;
    let off = 0;
    for (; off + 188 <= buf.length; off += 188) {
      const pid = ((buf[off + 1] & 0x1f) << 8) | buf[off + 2];
      if (pid === 0x1fff) continue;
      if (Number.isNaN(this.firstFrameMs)) this.watchFirstFrame(buf, off, pid, now);
      real += 188;
      if (pid !== PROBE_PID) continue;
      const probe = decodeProbe(buf, off);
      if (probe) this.onProbe(probe, wall);
    }
    this.carry = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
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

  // Minimal HTTP/1.1 chunked decoding (the gateway answers chunked).
  dechunk(data) {
    let buf = Buffer.concat([this.pendingChunk, data]);
    const out = [];
    for (;;) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, buf.length);
        out.push(buf.subarray(0, take));
        this.chunkLeft -= take;
        buf = buf.subarray(take);
        if (this.chunkLeft > 0) break;
        this.skipCrlf = true;
      }
      if (this.skipCrlf) {
        if (buf.length < 2) break;
        buf = buf.subarray(2);
        this.skipCrlf = false;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) break;
      this.chunkLeft = parseInt(buf.subarray(0, eol).toString(), 16);
      buf = buf.subarray(eol + 2);
      if (this.chunkLeft === 0) break;
    }
    this.pendingChunk = Buffer.from(buf);
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Starts measuring the longest silence (between real data) from now. */
  markGap() {
    this.gapSinceMark = 0;
  }

  close() {
    this.socket.destroy();
  }
}
