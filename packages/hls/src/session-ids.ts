// HLS session ids this proxy hands out and can recognise on any worker and host: a random UUID and
// an HMAC of it with the stream id, keyed by PROXY_SECRET (or the cluster's generated key).

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { StreamId } from '@acestream-proxy/keys';
import { BadHlsRequestError } from './errors.js';

/** `<uuid>.<32 hex>`: 128 bits of the HMAC, enough that a guess never passes. */
const SESSION = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{32})$/;

/** Tokens remembered as verified, at most (then forgotten all at once): a player's every reload and segment carries its token. */
const VERIFIED_MAX = 20_000;

export class HlsSessionIds {
  /**
   * Tokens verified with the key in `verifiedWith`, by stream and token: an HMAC per request was
   * ~3% of a worker's CPU serving HLS players (hls bench). Only tokens that passed are kept.
   */
  private readonly verified = new Map<string, string>();
  private verifiedWith: Buffer | null = null;

  /** `secret()` is read on every use: the cluster's key may be replaced while running (see session-secret.ts). */
  constructor(private readonly secret: () => Buffer) {}

  /** A new session of stream `id`: its UUID (its client id) and the token its URLs carry. */
  issue(id: StreamId): { session: string; token: string } {
    const session = randomUUID();
    return { session, token: `${session}.${this.mac(id, session)}` };
  }

  /**
   * The session's UUID (its client id) when `value` is a token this proxy issued for stream `id`;
   * BadHlsRequestError otherwise, so a made-up or copied-over session starts nothing.
   */
  verify(id: StreamId, value: unknown): string {
    const key = this.secret();
    if (key !== this.verifiedWith) {
      this.verified.clear();
      this.verifiedWith = key;
    }
    const memo = typeof value === 'string' ? `${id}/${value}` : '';
    const known = this.verified.get(memo);
    if (known !== undefined) return known;
    const match = typeof value === 'string' ? SESSION.exec(value) : null;
    if (match && timingSafeEqual(Buffer.from(match[2]!), Buffer.from(this.mac(id, match[1]!)))) {
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      this.verified.set(memo, match[1]!);
      return match[1]!;
    }
    throw new BadHlsRequestError(
      'the player session id must be one this proxy handed out for this stream; start from /ace/manifest.m3u8',
    );
  }

  private mac(id: StreamId, uuid: string): string {
    return createHmac('sha256', this.secret()).update(`hls-session:${id}/${uuid}`).digest('hex').slice(0, 32);
  }
}
