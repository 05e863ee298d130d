// The gateway's Express app: every HTTP route of DESIGN §8 wired to the context's services.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { login, logout, requireOperator, session } from '../auth/operator.js';
import type { GatewayContext } from '../context.js';
import { events } from '../routes/events.js';
import { getStream, headStream } from '../routes/getstream.js';
import { GUIDE_ROUTES, getGuide } from '../routes/guide.js';
import { health } from '../routes/health.js';
import { getHlsFile, getManifest, headManifest } from '../routes/hls.js';
import { dropClient, requireApiKey, stopStream } from '../routes/manage.js';
import { metrics } from '../routes/metrics.js';
import { getPlaylist, getPlaylistJson, rewritePlaylist } from '../routes/playlist.js';
import { getStreamInfo, listStreams, viewer } from '../routes/streams.js';
import { tunerRoutes } from '../routes/tuner.js';
import { userRoutes } from '../routes/users.js';
import { StatusFeed } from '../status/feed.js';
import { allowedHosts } from './allowed-hosts.js';
import { browserHeaders } from './browser-headers.js';
import { errorHandler, requireRedis } from './errors.js';

/** The status page's files (plain HTML, CSS, ES modules: nothing to build) and its chart library. */
const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

export function createApp(ctx: GatewayContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // TRUSTED_PROXIES, as the stream route reads it: both record the same client address.
  app.set('trust proxy', ctx.clientAddress.trust);

  // Helmet's headers on every answer of the app (the stream fast path in server.ts is no page).
  app.use(browserHeaders());

  // Player routes: any Host (players and IPTV managers reach the proxy by whatever name or address).
  app.head('/ace/getstream', headStream());
  // Routes that send Redis commands answer 503 at once while it is away.
  const redis = requireRedis(() => ctx.redisReady());
  // Served before the app (server.ts); here for the forms the fast path leaves (`/ace/getstream/`).
  app.get('/ace/getstream', getStream(ctx));
  app.head('/ace/manifest.m3u8', headManifest());
  app.get('/ace/manifest.m3u8', getManifest(ctx));
  app.get('/ace/hls/:id/:session/:file', getHlsFile(ctx));
  app.get('/health', health(ctx));
  app.get('/metrics', metrics(ctx));
  app.get('/playlist.m3u', getPlaylist(ctx));
  app.get('/playlist.json', getPlaylistJson(ctx));
  app.post('/playlist/rewrite', rewritePlaylist(ctx));
  app.get([...GUIDE_ROUTES], getGuide(ctx));
  // The emulated HDHomeRun (issue 22): media servers reach it by address, like players.
  app.use(tunerRoutes(ctx));

  // Operator routes (status page, its feed, streams API, management): only for ALLOWED_HOSTS.
  app.use(allowedHosts(ctx.config.allowedHosts));
  app.get('/proxy/streams', redis, viewer(ctx), listStreams(ctx));
  app.get('/proxy/streams/:id', redis, viewer(ctx), getStreamInfo(ctx));
  app.delete('/proxy/streams/:id', requireApiKey(ctx), redis, stopStream(ctx));
  app.delete('/proxy/streams/:id/clients/:cid', requireApiKey(ctx), redis, dropClient(ctx));
  // AUTH=token's users (issue 21): changes need the admin key (or an admin's login), as the routes
  // above; the list, either key.
  const operator = ctx.config.auth === 'token' ? [requireOperator(ctx)] : [];
  app.use(userRoutes(ctx, [requireApiKey(ctx), redis], operator.length ? [...operator, redis] : undefined));
  // AUTH=token: the feed shows who watches, so it needs a key or the page's login (EventSource sends no header).
  app.get('/proxy/events', ...operator, events(new StatusFeed(ctx, ctx.eventLog)));
  app.get('/proxy/session', session(ctx));
  if (ctx.config.auth === 'token') {
    app.post('/proxy/login', ...login(ctx));
    app.post('/proxy/logout', logout(ctx));
  }
  app.use('/vendor/uplot', express.static(UPLOT_DIR, { index: false, maxAge: '1d' }));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(ctx.logger));
  return app;
}
