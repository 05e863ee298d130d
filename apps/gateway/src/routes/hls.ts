// HLS: /ace/manifest.m3u8 (the engine's route name), a player session's media playlist, its segments.

import { EngineError } from '@acestream-proxy/engine';
import { BadHlsRequestError, renderMasterPlaylist, renderMediaPlaylist, SegmentNotFoundError } from '@acestream-proxy/hls';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import type { Request, RequestHandler, Response } from 'express';
import type { GatewayContext } from '../context.js';
import { principalOf } from '../http/player-routes.js';

const SEGMENT = /^(\d{1,15})\.ts$/;

function setPlaylistHeaders(res: Response): void {
  res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
  res.setHeader('Cache-Control', 'no-cache');
  // Browser players (hls.js) on another origin read playlists and segments with fetch/XHR.
  res.setHeader('Access-Control-Allow-Origin', '*');
}

function sessionRequest(ctx: GatewayContext, req: Request) {
  const who = principalOf(req);
  return { ip: ctx.clientAddress.of(req), userAgent: req.get('user-agent') ?? '', ...(who && { user: who.user.name }) };
}

/** The window, waiting (up to PROXY_INIT_TIMEOUT) while the stream has no segment yet. */
async function windowOf(ctx: GatewayContext, id: StreamId, signal: AbortSignal) {
  const deadline = Date.now() + ctx.config.initTimeout * 1000;
  for (;;) {
    const segments = await ctx.hls.cache.playlist(id);
    if (segments.length > 0) return segments;
    if (signal.aborted) throw new Error('the player went away');
    if (Date.now() > deadline) {
      throw new EngineError(
        'engine_timeout',
        `the stream has no HLS segment after PROXY_INIT_TIMEOUT=${ctx.config.initTimeout} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Closed-connection signal of a request, for waits that should end with the player. */
function requestSignal(res: Response): AbortSignal {
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  return abort.signal;
}

/**
 * GET /ace/manifest.m3u8?id= (also infohash=, content_id=): starts a player session and answers a
 * multivariant playlist whose one variant is that session's media playlist. Reloads and segments
 * then carry the session id in their (relative) path, so every request of a player is counted.
 */
export function getManifest(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.query.id ?? req.query.infohash ?? req.query.content_id);
      const { session, token } = ctx.hls.ids.issue(id);
      // AUTH=token: a session is one of its user's connections, admitted before anything starts.
      const who = principalOf(req);
      const players = who && ctx.accounts?.players;
      if (players) await players.startHls(who, session, id);
      const segments = await (async () => {
        await ctx.hls.sessions.seen(id, session, sessionRequest(ctx, req));
        return windowOf(ctx, id, requestSignal(res));
      })().catch((err: unknown) => {
        // A session that never started holds no place of its user's.
        if (players) players.leave(who.user.name, session);
        throw err;
      });
      setPlaylistHeaders(res);
      res.end(renderMasterPlaylist(segments, `hls/${id}/${token}/index.m3u8`));
    } catch (err) {
      next(err);
    }
  };
}

/** HEAD answers what GET would, without starting anything (IPTV managers probe). */
export function headManifest(): RequestHandler {
  return (req, res, next) => {
    try {
      parseStreamId(req.query.id ?? req.query.infohash ?? req.query.content_id);
      setPlaylistHeaders(res);
      res.end();
    } catch (err) {
      next(err);
    }
  };
}

/** GET /ace/hls/:id/:session/index.m3u8 and /ace/hls/:id/:session/<sequence>.ts */
export function getHlsFile(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.params.id);
      const sessionId = ctx.hls.ids.verify(id, req.params.session);
      const file = String(req.params.file);
      const segment = SEGMENT.exec(file);
      if (file !== 'index.m3u8' && !segment) {
        throw new BadHlsRequestError(`no HLS file ${JSON.stringify(file)}: a session has index.m3u8 and <sequence>.ts`);
      }
      const who = principalOf(req);
      if (who && ctx.accounts) await ctx.accounts.players.hlsRequest(who, sessionId, id);
      await ctx.hls.sessions.seen(id, sessionId, sessionRequest(ctx, req));
      if (!segment) {
        const segments = await windowOf(ctx, id, requestSignal(res));
        setPlaylistHeaders(res);
        // end(), not send(): the playlist type goes out as registered, without a charset.
        res.end(renderMediaPlaylist(segments, { targetSeconds: ctx.config.hlsTargetDuration, segmentUrl: (n) => `${n}.ts` }));
        return;
      }
      const bytes = await ctx.hls.cache.segment(id, Number(segment[1]));
      if (!bytes) throw new SegmentNotFoundError(segment[1]!);
      res.status(200);
      res.setHeader('Content-Type', 'video/mp2t');
      res.setHeader('Content-Length', String(bytes.length));
      res.setHeader('Cache-Control', 'private, max-age=60');
      res.setHeader('Access-Control-Allow-Origin', '*');
      // Views into the worker's cached chunks, written as they are (no copy per player), corked
      // so the socket gets them in one writev rather than one write per chunk.
      res.cork();
      for (const part of bytes.parts) res.write(part);
      res.end();
      ctx.hls.sessions.sent(id, sessionId, bytes.length);
      ctx.streams.stats.bytesSent += bytes.length;
    } catch (err) {
      next(err);
    }
  };
}
