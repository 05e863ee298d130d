// TS null packets (PID 0x1FFF): keepalive bytes players accept and discard.

import { NULL_PID, SYNC_BYTE, TS_PACKET_SIZE } from './packet.js';

function build(): Buffer {
  const packet = Buffer.alloc(TS_PACKET_SIZE, 0xff);
  packet[0] = SYNC_BYTE;
  packet[1] = (NULL_PID >> 8) & 0x1f;
  packet[2] = NULL_PID & 0xff;
  packet[3] = 0x10; // adaptation_field_control 01: payload only, continuity counter 0
  return packet;
}

const NULL_PACKET = build();
const runs = new Map<number, Buffer>();

/** One shared null packet; never write into it. */
export function nullPacket(): Buffer {
  return NULL_PACKET;
}

/** `n` null packets back to back, built once per `n` and shared. */
export function nullPackets(n: number): Buffer {
  let run = runs.get(n);
  if (!run) {
    run = Buffer.alloc(n * TS_PACKET_SIZE);
    for (let i = 0; i < n; i++) NULL_PACKET.copy(run, i * TS_PACKET_SIZE);
    runs.set(n, run);
  }
  return run;
}
