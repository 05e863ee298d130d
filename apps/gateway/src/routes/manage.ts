// DELETE /proxy/streams/:id[/clients/:cid]: stop a stream or drop a player, behind PROXY_API_KEY.

import { timingSafeEqual } from 'node:crypto';
import { parseStreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

/** Accepts `Authorization: Bearer <key>` or `X-API-Key: <key>`; refuses all when no key is set. */
export function requireApiKey(ctx: GatewayContext): RequestHandler {
  const expected = ctx.config.apiKey ? Buffer.from(ctx.config.apiKey) : null;
  return (req, res, next) => {
    if (!expected) {
      res.status(403).json({ error: 'api_key_not_configured', message: 'set PROXY_API_KEY to use the management API' });
      return;
    }
    const given = Buffer.from(req.get('x-api-key') ?? req.get('authorization')?.replace(/^Bearer\s+/i, '') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ error: 'unauthorized', message: 'missing or wrong API key (Authorization: Bearer <key>)' });
      return;
    }
    next();
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
