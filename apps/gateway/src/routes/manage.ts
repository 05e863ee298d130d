// DELETE /proxy/streams/:id[/clients/:cid]: stop a stream or drop a player, behind PROXY_API_KEY.

import { parseStreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import { requireAdmin } from '../auth/operator.js';
import type { GatewayContext } from '../context.js';

/**
 * Accepts `Authorization: Bearer <key>` or `X-API-Key: <key>` (or an admin's status page login);
 * refuses all when no key is set. An address that sent too many wrong keys is answered 429 until
 * its block ends (auth/failures.ts), even with the right key, so guessing does not pay.
 */
export const requireApiKey = requireAdmin;

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
