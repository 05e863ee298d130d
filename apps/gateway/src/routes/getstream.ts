// GET/HEAD /ace/getstream: validate the id, join the stream's single engine session, stream TS.

import { randomUUID } from 'node:crypto';
import { parseStreamId } from '@acestream-proxy/keys';
import type { Request, RequestHandler, Response } from 'express';
import type { GatewayContext } from '../context.js';
import { RedisUnavailableError, sendError, toHttpError } from '../errors.js';

/** Headers for a live MPEG-TS body: no length, no ranges, never cached. */
function setStreamHeaders(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'video/mp2t');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Accept-Ranges', 'none');
}

function rawId(req: Request): unknown {
  return req.query.id ?? req.query.infohash ?? req.query.content_id;
}

/** HEAD answers what GET would, without starting anything (players and IPTV managers probe). */
export function headStream(): RequestHandler {
  return (req, res) => {
    try {
      parseStreamId(rawId(req));
    } catch (err) {
      sendError(res, toHttpError(err));
      return;
    }
    setStreamHeaders(res);
    res.end();
  };
}

export function getStream(ctx: GatewayContext): RequestHandler {
  return async (req, res) => {
    const requestedAt = performance.now();
    let id: ReturnType<typeof parseStreamId>;
    try {
      id = parseStreamId(rawId(req));
      // A bad id is a 400 whatever Redis does; a good one needs Redis, and gets 503 at once
      // while it is away (the join's commands would queue behind ioredis' reconnects).
      if (!ctx.redisReady()) throw new RedisUnavailableError();
    } catch (err) {
      sendError(res, toHttpError(err));
      return;
    }
    const clientId = randomUUID();
    // No child logger per request: a flash crowd of joins should not cost a logger each.
    const meta = { stream_id: id, client_id: clientId };
    const log = ctx.logger;
    // Set now, sent with the first bytes; an error answer below replaces status and type.
    setStreamHeaders(res);
    res.socket?.setNoDelay(true);
    try {
      const membership = await ctx.streams.join(
        id,
        {
          clientId,
          ip: req.ip ?? req.socket.remoteAddress ?? '',
          userAgent: req.get('user-agent') ?? '',
          workerId: ctx.workerId,
          connectedAt: Date.now(),
        },
        res,
      );
      const leave = () => {
        membership.leave().catch((err) => log.warn('client leave failed', { ...meta, error: (err as Error).message }));
        log.debug('client disconnected', { ...meta, bytes_sent: membership.client.bytesSent });
      };
      // The fanout writes a joining player's first bytes (a picture or keepalives) inside join().
      if (membership.client.bytesSent > 0) ctx.metrics.local.playerTtfb.observe((performance.now() - requestedAt) / 1000);
      if (res.destroyed) return leave();
      res.once('close', leave);
      // At debug: at info, a kick-off's thousands of joins a second would be as many log lines.
      log.debug('client connected', { ...meta, user_agent: req.get('user-agent') ?? '' });
    } catch (err) {
      const error = toHttpError(err);
      log.warn('stream request refused', { ...meta, status: error.status, error: (err as Error).message });
      sendError(res, error);
    }
  };
}
