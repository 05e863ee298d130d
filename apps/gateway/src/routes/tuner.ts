// The HDHomeRun HTTP API (issue 22): discover.json, lineup*.json, lineup.post, device.xml, /auto/v<n>.

import { deviceXml, discoverJson, lineupJson, lineupStatusJson, type TunerUrls } from '@acestream-proxy/tuner';
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import type { GatewayContext } from '../context.js';
import { getStream, headStream } from './getstream.js';
import { baseUrl, playlistFor } from './playlist.js';

/** Where the documents point: the playlist's base URL (PUBLIC_URL, else the request's Host). */
function urlsOf(req: Request, ctx: GatewayContext): TunerUrls {
  return { baseUrl: baseUrl(req, ctx.config) };
}

export function tunerRoutes(ctx: GatewayContext): Router {
  const router = Router();
  const tuner = ctx.tuner.service;

  router.get(['/discover.json', '/device.json'], async (req, res) => {
    res.json(discoverJson(await tuner.describe(), urlsOf(req, ctx)));
  });
  router.get('/device.xml', async (req, res) => {
    res.type('application/xml').send(deviceXml(await tuner.describe(), urlsOf(req, ctx)));
  });
  router.get('/lineup_status.json', (_req, res) => {
    res.json(lineupStatusJson());
  });
  router.get('/lineup.json', async (req, res) => {
    const { playlist, meta } = await ctx.playlist.snapshot();
    // Numbered from the whole playlist (numbers stay the same for every user), shown for the user's groups.
    const channels = await tuner.lineup(playlist, meta.refreshedAt);
    const seen = playlistFor(req, playlist);
    const ids = new Set(seen.entries.map((e) => e.id));
    const shown = seen === playlist ? channels : channels.filter((c) => ids.has(c.id));
    res.setHeader('Cache-Control', 'no-cache');
    res.json(lineupJson(shown, urlsOf(req, ctx)));
  });
  // A scan is what media servers ask before reading the lineup; ours is the playlist, always ready.
  router.post('/lineup.post', (req, res) => {
    const scan = req.query.scan;
    if (scan !== undefined && scan !== 'start' && scan !== 'abort') {
      res.status(400).json({ error: 'bad_scan', message: `scan must be start or abort (got ${JSON.stringify(scan)})` });
      return;
    }
    res.status(200).end();
  });
  router.head('/auto/:channel', dispatch(ctx, headStream()));
  router.get('/auto/:channel', dispatch(ctx, getStream(ctx)));
  return router;
}

/**
 * `/auto/v<GuideNumber>` is served by the normal stream path in this same request (no redirect:
 * not every media server follows one), so its player shares the channel's engine session with
 * `/ace/getstream` players.
 */
function dispatch(ctx: GatewayContext, serve: (req: Request, res: Response, next: NextFunction) => unknown): RequestHandler {
  return async (req, res, next) => {
    const channel = String(req.params.channel);
    const number = /^v(\d{1,6}(?:\.\d{1,4})?)$/.exec(channel)?.[1];
    const { playlist, meta } = await ctx.playlist.snapshot();
    const id = number ? await ctx.tuner.service.streamOf(playlist, meta.refreshedAt, number) : null;
    if (!id) {
      res.status(404).json({ error: 'no_channel', message: `no channel ${channel} in the lineup (see /lineup.json)` });
      return;
    }
    req.url = `/ace/getstream?id=${id}`;
    await serve(req, res, next);
  };
}
