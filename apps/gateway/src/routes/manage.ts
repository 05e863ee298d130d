// DELETE /proxy/streams/:id[/clients/:cid]: stop a stream or drop a player, behind PROXY_API_KEY.

import { createHash, timingSafeEqual } from 'node:crypto';
import { parseStreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { ApiKeyError, TooManyFailuresError } from '../http/errors.js';

/** Keys are compared as SHA-256 digests: equal lengths, so the comparison's time says nothing of the key's. */
const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Accepts `Authorization: Bearer <key>` or `X-API-Key: <key>`; refuses all when no key is set. An
 * address that sent too many wrong keys is answered 429 until its block ends (auth/failures.ts),
 * even with the right key, so guessing does not pay.
 */
export function requireApiKey(ctx: GatewayContext): RequestHandler {
  const expected = ctx.config.apiKey ? digest(ctx.config.apiKey) : null;
  return async (req, _res, next) => {
    if (!expected) return next(new ApiKeyError('api_key_not_configured'));
    // Always a valid IP (TRUSTED_PROXIES decides when X-Forwarded-For counts): it names a key.
    const address = ctx.clientAddress.of(req);
    try {
      const blockedMs = await ctx.authFailures.blockedFor(address);
      if (blockedMs > 0) return next(new TooManyFailuresError(Math.ceil(blockedMs / 1000)));
      const given = req.get('x-api-key') ?? req.get('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
      if (timingSafeEqual(digest(given), expected)) return next();
      const nowBlockedMs = await ctx.authFailures.fail(address);
      if (nowBlockedMs > 0) {
        ctx.logger.warn('too many wrong API keys: address blocked', { address, retry_after_s: Math.ceil(nowBlockedMs / 1000) });
        return next(new TooManyFailuresError(Math.ceil(nowBlockedMs / 1000)));
      }
      next(new ApiKeyError('unauthorized'));
    } catch (err) {
      next(err);
    }
  };
}

export function stopStream(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.params.id);
      if (!(await ctx.streams.stop(id))) {
        res.status(404).json({ error: 'stream_not_found', message: `no stream ${id} is running` });
        return;
      }
      res.status(202).json({ stream_id: id, status: 'stopping' });
    } catch (err) {
      next(err);
    }
  };
}

export function dropClient(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.params.id);
      const clientId = String(req.params.cid);
      const known = (await ctx.registry.list(id)).some((c) => c.clientId === clientId);
      if (!known) {
        res.status(404).json({ error: 'client_not_found', message: `stream ${id} has no client ${clientId}` });
        return;
      }
      await ctx.streams.dropClient(id, clientId);
      ctx.eventLog.record({
        kind: 'player_dropped',
        stream_id: id,
        detail: `player ${clientId} dropped through the management API`,
      });
      res.status(202).json({ stream_id: id, client_id: clientId, status: 'disconnecting' });
    } catch (err) {
      next(err);
    }
  };
}
