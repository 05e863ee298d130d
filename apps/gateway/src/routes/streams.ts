// GET /proxy/streams[/:id]: what runs where (state, owner, engine, clients, buffer index).

import { parseStreamId } from '@acestream-proxy/keys';
import type { RequestHandler, Response } from 'express';
import { requireOperator } from '../auth/operator.js';
import type { GatewayContext } from '../context.js';
import { describeStream } from '../views/stream.js';
import { requireApiKey } from './manage.js';

/**
 * Sorts callers of the read views. AUTH=none: without a key the view is anonymous; with one it is
 * checked as for the management routes (a wrong key is refused there, never quietly downgraded)
 * and the answer is the operator's view. AUTH=token: the views show who watches, so they need
 * the admin or the read key (or a login); only the admin's carries the engine sessions.
 */
export function viewer(ctx: GatewayContext): RequestHandler {
  if (ctx.config.auth === 'token') return requireOperator(ctx);
  const checkKey = requireApiKey(ctx);
  return (req, res, next) => {
    if (req.get('x-api-key') === undefined && req.get('authorization') === undefined) {
      next();
      return;
    }
    checkKey(req, res, (err?: unknown) => {
      if (!err) res.locals.admin = true;
      next(err);
    });
  };
}

const isAdmin = (res: Response) => res.locals.admin === true;

export function listStreams(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      const ids = await ctx.metadata.list();
      const admin = isAdmin(res);
      const streams = (await Promise.all(ids.map((id) => describeStream(ctx, id, { admin })))).filter((s) => s !== null);
      res.json({ streams });
    } catch (err) {
      next(err);
    }
  };
}

export function getStreamInfo(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.params.id);
      const stream = await describeStream(ctx, id, { admin: isAdmin(res) });
      if (!stream) {
        res.status(404).json({ error: 'stream_not_found', message: `no stream ${id} is running` });
        return;
      }
      res.json(stream);
    } catch (err) {
      next(err);
    }
  };
}
