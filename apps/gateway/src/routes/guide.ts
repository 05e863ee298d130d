// GET /epg.xml and /epg.xml.gz (issue 22): the merged XMLTV guide, streamed from the store.

import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

/**
 * The guide's routes: players and media servers fetch them like playlists (with accounts on,
 * they need a user's token like the other player routes).
 */
export const GUIDE_ROUTES = ['/epg.xml', '/epg.xml.gz'] as const;

/**
 * The stored guide, unpacked for `/epg.xml` and packed as one gzip member for `/epg.xml.gz` (no
 * Content-Encoding: libcurl-based clients such as Kodi unpack only a stored guide's first gzip
 * member, see serve.ts in packages/epg). A chunk (≤ 1 MB) is read from the store only when the
 * client has taken the last one. The refresh time is the validator: a media server polling the
 * guide gets 304 until it changes.
 */
export function getGuide(ctx: GatewayContext): RequestHandler {
  return async (req, res) => {
    const guide = await ctx.guide.open();
    const gzip = req.path.endsWith('.gz');
    res.setHeader('Content-Type', gzip ? 'application/gzip' : 'application/xml; charset=utf-8');
    if (gzip) res.setHeader('Content-Disposition', 'inline; filename="epg.xml.gz"');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', `"epg-${guide.refreshedAt.toString(36)}"`);
    res.setHeader('Last-Modified', new Date(guide.refreshedAt).toUTCString());
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await guide.write(res, { gzip });
    } catch (err) {
      // The client went away mid-download: nothing to answer, nothing to log.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
  };
}
