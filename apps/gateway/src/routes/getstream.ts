// GET/HEAD /ace/getstream: validate the id, join the stream's single engine session, stream TS.
// GET is served straight from node:http, before Express (`isStreamRequest` in http/server.ts):
// at a kick-off thousands of joins a second come through it, and Express's routing, request and
// response decoration cost ~20% of a join's CPU (joins bench). It reads the same query (the first
// of id, infohash, content_id) and client address (X-Forwarded-For from TRUSTED_PROXIES only) as
// the app.
// Each player holds one of its address's slots (PROXY_MAX_CONNECTIONS_PER_ADDRESS), and a join
// that starts a new engine session counts against PROXY_MAX_NEW_SESSIONS_PER_MINUTE (issue 20).

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseStreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { RedisUnavailableError, sendError, toHttpError } from '../http/errors.js';
import { principalOf } from '../http/player-routes.js';
import { ResponseSink } from '../http/response-sink.js';

/** Headers for a live MPEG-TS body: no length, no ranges, never cached. */
function setStreamHeaders(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'video/mp2t');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Accept-Ranges', 'none');
}

/**
 * The stream's body runs until the connection closes, as HTTP/1.1 allows for a body without a
 * length, instead of chunked framing: every write is then one socket write, not four (size line,
 * data, CRLF). That was ~20% of a join's CPU (a joiner's backlog is ~30 writes) and of the steady
 * fan-out's CPU per GB. Every player reads such a body, and a live stream has no end to mark.
 * An error answer sent instead still has its length (the connection closes after it).
 */
function bodyUntilClose(res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  res.removeHeader('Transfer-Encoding');
}

/** The stream id parameter as the app's query parser gives it: a string, a list when repeated. */
function rawId(url: string): unknown {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  const query = new URLSearchParams(url.slice(at + 1));
  for (const name of ['id', 'infohash', 'content_id']) {
    const values = query.getAll(name);
    if (values.length > 0) return values.length === 1 ? values[0] : values;
  }
  return undefined;
}

/** HEAD answers what GET would, without starting anything (players and IPTV managers probe). */
export function headStream(): RequestHandler {
  return (req, res) => {
    try {
      parseStreamId(rawId(req.url));
    } catch (err) {
      sendError(res, toHttpError(err));
      return;
    }
    setStreamHeaders(res);
    res.end();
  };
}

export function getStream(ctx: GatewayContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const requestedAt = performance.now();
    let id: ReturnType<typeof parseStreamId>;
    try {
      id = parseStreamId(rawId(req.url ?? ''));
      // A bad id is a 400 whatever Redis does; a good one needs Redis, and gets 503 at once
      // while it is away (the join's commands would queue behind ioredis' reconnects).
      if (!ctx.redisReady()) throw new RedisUnavailableError();
    } catch (err) {
      sendError(res, toHttpError(err));
      return;
    }
    const clientId = randomUUID();
    const ip = ctx.clientAddress.of(req);
    // No child logger per request: a flash crowd of joins should not cost a logger each.
    const meta = { stream_id: id, client_id: clientId };
    const userAgent = req.headers['user-agent'] ?? '';
    const log = ctx.logger;
    // AUTH=token: the user (http/player-routes.ts); its limits are checked at the join.
    const who = principalOf(req);
    const players = ctx.accounts?.players;
    let admitted = false;
    // Set now, sent with the first bytes; an error answer below replaces status and type.
    setStreamHeaders(res);
    bodyUntilClose(res);
    res.socket?.setNoDelay(true);
    try {
      await ctx.limits.connect(ip, clientId);
      if (who && players) {
        await players.admit(who, clientId, id, 'ts');
        admitted = true;
      }
      const membership = await ctx.streams.join(
        id,
        { clientId, ip, userAgent, workerId: ctx.workerId, connectedAt: Date.now(), ...(who && { user: who.user.name }) },
        new ResponseSink(res),
        { beforeEngineStart: ctx.limits.startCheck(ip, clientId) },
      );
      if (who && players) players.trackTs(who, clientId, id, () => res.destroy());
      const leave = () => {
        ctx.limits.disconnect(clientId);
        if (who && players) players.leave(who.user.name, clientId);
        membership.leave().catch((err) => log.warn('client leave failed', { ...meta, error: (err as Error).message }));
        log.debug('client disconnected', { ...meta, bytes_sent: membership.client.bytesSent });
      };
      // The fanout writes a joining player's first bytes (a picture or keepalives) inside join().
      if (membership.client.bytesSent > 0) ctx.metrics.local.playerTtfb.observe((performance.now() - requestedAt) / 1000);
      if (res.destroyed) return leave();
      res.once('close', leave);
      // At debug: at info, a kick-off's thousands of joins a second would be as many log lines.
      log.debug('client connected', { ...meta, user_agent: userAgent });
    } catch (err) {
      ctx.limits.disconnect(clientId);
      if (admitted && who && players) players.leave(who.user.name, clientId);
      const error = toHttpError(err);
      log.warn('stream request refused', { ...meta, status: error.status, error: (err as Error).message });
      sendError(res, error);
    }
  };
}
