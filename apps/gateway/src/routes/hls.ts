// HLS: /ace/manifest.m3u8 (the engine's route name), a player session's media playlist, its segments.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineError } from '@acestream-proxy/engine';
import { BadHlsRequestError, renderMasterPlaylist, renderMediaPlaylist, SegmentNotFoundError } from '@acestream-proxy/hls';
import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { PLAYER_HEADERS } from '../http/browser-headers.js';
import { answerFailure } from '../http/errors.js';
import { principalOf } from '../http/player-routes.js';

const SEGMENT = /^(\d{1,15})\.ts$/;

function setPlaylistHeaders(res: ServerResponse): void {
  res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
  res.setHeader('Cache-Control', 'no-cache');
  // Browser players (hls.js) on another origin read playlists and segments with fetch/XHR.
  res.setHeader('Access-Control-Allow-Origin', '*');
}

function sessionRequest(ctx: GatewayContext, req: IncomingMessage) {
  const who = principalOf(req);
  return { ip: ctx.clientAddress.of(req), userAgent: req.headers['user-agent'] ?? '', ...(who && { user: who.user.name }) };
}

/**
 * The window, waiting (up to PROXY_INIT_TIMEOUT) while the stream has no segment yet, and not
 * after the player went away. Nothing is set up for the player's leaving unless it has to wait: an
 * AbortController per reload, aborted (with its DOMException) at every response's close, was ~3% of
 * a worker's CPU serving HLS players.
 */
async function windowOf(ctx: GatewayContext, id: StreamId, res: ServerResponse) {
  const deadline = Date.now() + ctx.config.initTimeout * 1000;
  let gone: boolean | null = null;
  for (;;) {
    const segments = await ctx.hls.cache.playlist(id);
    if (segments.length > 0) return segments;
    if (gone === null) {
      gone = res.destroyed;
      res.once('close', () => {
        gone = true;
      });
    }
    if (gone) throw new Error('the player went away');
    if (Date.now() > deadline) {
      throw new EngineError(
        'engine_timeout',
        `the stream has no HLS segment after PROXY_INIT_TIMEOUT=${ctx.config.initTimeout} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
        return windowOf(ctx, id, res);
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

/** A player session's file: its media playlist or one of its segments. */
interface HlsFile {
  id: string;
  session: string;
  file: string;
}

/** `/ace/hls/<id>/<session>/<file>` with nothing to decode, as players request them (others go to the app). */
const HLS_FILE_PATH = /^\/ace\/hls\/([0-9A-Za-z]{1,64})\/([0-9A-Za-z.-]{1,100})\/([0-9A-Za-z.]{1,40})(?:\?|$)/;

/** The file a GET of the fast path asks for (server.ts), or null when the app should route it. */
export function hlsFileOf(method: string | undefined, url: string | undefined): HlsFile | null {
  if (method !== 'GET' || url === undefined || !url.startsWith('/ace/hls/')) return null;
  const match = HLS_FILE_PATH.exec(url);
  return match ? { id: match[1]!, session: match[2]!, file: match[3]! } : null;
}

async function serveHlsFile(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, params: HlsFile): Promise<void> {
  const id = parseStreamId(params.id);
  const sessionId = ctx.hls.ids.verify(id, params.session);
  const file = params.file;
  const segment = SEGMENT.exec(file);
  if (file !== 'index.m3u8' && !segment) {
    throw new BadHlsRequestError(`no HLS file ${JSON.stringify(file)}: a session has index.m3u8 and <sequence>.ts`);
  }
  const who = principalOf(req);
  if (who && ctx.accounts) await ctx.accounts.players.hlsRequest(who, sessionId, id);
  await ctx.hls.sessions.seen(id, sessionId, sessionRequest(ctx, req));
  if (!segment) {
    const segments = await windowOf(ctx, id, res);
    setPlaylistHeaders(res);
    // end(), not send(): the playlist type goes out as registered, without a charset.
    res.end(renderMediaPlaylist(segments, { targetSeconds: ctx.config.hlsTargetDuration, segmentUrl: (n) => `${n}.ts` }));
    return;
  }
  const bytes = await ctx.hls.cache.segment(id, Number(segment[1]));
  if (!bytes) throw new SegmentNotFoundError(segment[1]!);
  res.statusCode = 200;
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
}

/**
 * GET /ace/hls/:id/:session/index.m3u8 and /ace/hls/:id/:session/<sequence>.ts, served before
 * Express (server.ts) with the headers the app gives player routes: every HLS player asks for a
 * playlist and a segment every target duration, and Express's routing and helmet's twelve
 * middlewares were ~15% of a worker's CPU serving them, with the request's time to first byte
 * ~0.7 ms longer than a bare answer's on an idle machine (hls bench, 300 players).
 */
export function getHlsFileFast(ctx: GatewayContext): (req: IncomingMessage, res: ServerResponse, file: HlsFile) => void {
  return (req, res, file) => {
    for (const [name, value] of PLAYER_HEADERS) res.setHeader(name, value);
    serveHlsFile(ctx, req, res, file).catch((err: unknown) => answerFailure(ctx.logger, req.url?.split('?')[0] ?? '', err, res));
  };
}

/** The same files as the app routes them: the forms the fast path leaves (encoded, or HEAD). */
export function getHlsFile(ctx: GatewayContext): RequestHandler {
  return (req, res, next) => {
    serveHlsFile(ctx, req, res, {
      id: String(req.params.id),
      session: String(req.params.session),
      file: String(req.params.file),
    }).catch(next);
  };
}
