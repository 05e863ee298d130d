// GET /epg.xml and /epg.xml.gz (issue 22): the merged XMLTV guide, streamed from the store.

import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

/**
 * The guide's routes: players and media servers fetch them like playlists (with accounts on,
 * they need a user's token like the other player routes).
 */
export const GUIDE_ROUTES = ['/epg.xml', '/epg.xml.gz'] as const;

/**
 * The stored guide is gzip: `/epg.xml.gz` sends it as stored, and so does `/epg.xml` to a client
 * that accepts gzip (as Content-Encoding), so the worker unpacks only for clients that cannot.
 * A chunk (≤ 1 MB) is read from the store only when the client has taken the last one. The
 * refresh time is the validator: a media server polling the guide gets 304 until it changes.
 */
export function getGuide(ctx: GatewayContext): RequestHandler {
  return async (req, res) => {
    const guide = await ctx.guide.open();
    const file = req.path.endsWith('.gz');
    const encoded = !file && req.acceptsEncodings('gzip', 'identity') === 'gzip';
    res.setHeader('Content-Type', file ? 'application/gzip' : 'application/xml; charset=utf-8');
    if (file) res.setHeader('Content-Disposition', 'inline; filename="epg.xml.gz"');
    else res.setHeader('Vary', 'Accept-Encoding');
    if (encoded) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', `"epg-${guide.refreshedAt.toString(36)}${encoded ? '-gzip' : ''}"`);
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
      await guide.write(res, { gzip: file || encoded });
    } catch (err) {
      // The client went away mid-download: nothing to answer, nothing to log.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
  };
}
