// The ClientRegistry contract: who is watching which stream, on which worker (DESIGN §4).

import type { StreamId } from '@acestream-proxy/keys';

/** ts: one endless MPEG-TS response; hls: a session of playlist and segment requests. */
export type ClientKind = 'ts' | 'hls';

export interface ClientInfo {
  clientId: string;
  /** 'ts' when not given. */
  kind?: ClientKind;
  /** The record expires this long after its last refresh (HLS sessions); else the ghost timeout. */
  ttlMs?: number;
  ip: string;
  userAgent: string;
  workerId: string;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** The user's name when AUTH=token (a validated user name, never a token); absent otherwise. */
  user?: string;
}

/**
 * The longest user agent stored (characters): players send their own, and one record is listed on
 * every status snapshot and API answer, so 15 KB agents would make each of those megabytes.
 */
export const MAX_USER_AGENT_LENGTH = 256;
/** An address, even an IPv6 one with a zone, fits in 64 characters; anything longer is not one. */
export const MAX_IP_LENGTH = 64;

/** `info` with its client-supplied text cut to the bounds above: what both registries store. */
export function boundedInfo(info: ClientInfo): ClientInfo {
  const { userAgent, ip } = info;
  if (userAgent.length <= MAX_USER_AGENT_LENGTH && ip.length <= MAX_IP_LENGTH) return info;
  return { ...info, userAgent: cut(userAgent, MAX_USER_AGENT_LENGTH), ip: cut(ip, MAX_IP_LENGTH) };
}

// Never between the two halves of a surrogate pair (that would store a broken character).
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export interface ClientRecord extends ClientInfo {
  kind: ClientKind;
  lastActive: number;
  bytesSent: number;
  skips: number;
  /** Chunks behind the live edge of its worker at the last heartbeat. */
  lag: number;
}

/** What a worker reports for each of its clients on every heartbeat. */
export interface ClientActivity {
  streamId: StreamId;
  clientId: string;
  bytesSent: number;
  skips: number;
  /** Chunks behind its worker's live edge (0 when unknown). */
  lag?: number;
  /** As in ClientInfo: the record's lifetime from this refresh. */
  ttlMs?: number;
}

export interface ClientRegistry {
  register(id: StreamId, info: ClientInfo): Promise<void>;
  /** Removes a client and returns how many clients the stream still has, cluster-wide. */
  unregister(id: StreamId, clientId: string): Promise<number>;
  count(id: StreamId): Promise<number>;
  list(id: StreamId): Promise<ClientRecord[]>;
  /** Refreshes many clients' records in one round trip. */
  heartbeat(activity: ClientActivity[]): Promise<void>;
  /** Removes ids whose record expired (their worker stopped heartbeating); returns the count left. */
  sweep(id: StreamId): Promise<number>;
  /** Removes every client of `workerId` at once (its death was announced); returns the count left. */
  removeWorker(id: StreamId, workerId: string): Promise<number>;
  drop(id: StreamId): Promise<void>;
}
