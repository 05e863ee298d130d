// The gateway's Express app: every HTTP route of DESIGN §8 wired to the context's services.

import express from 'express';
import type { GatewayContext } from './context.js';
import { errorHandler, requireRedis } from './errors.js';
import { getStream, headStream } from './routes/getstream.js';
import { health } from './routes/health.js';
import { dropClient, requireApiKey, stopStream } from './routes/manage.js';
import { metrics } from './routes/metrics.js';
import { getPlaylist, getPlaylistJson, rewritePlaylist } from './routes/playlist.js';
import { getStreamInfo, listStreams } from './routes/streams.js';

export function createApp(ctx: GatewayContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', 'loopback');

  app.head('/ace/getstream', headStream());
  // Routes that send Redis commands answer 503 at once while it is away.
  const redis = requireRedis(() => ctx.redisReady());
  app.get('/ace/getstream', getStream(ctx));
  app.get('/health', health(ctx));
  app.get('/metrics', metrics(ctx));
  app.get('/proxy/streams', redis, listStreams(ctx));
  app.get('/proxy/streams/:id', redis, getStreamInfo(ctx));
  app.delete('/proxy/streams/:id', requireApiKey(ctx), redis, stopStream(ctx));
  app.delete('/proxy/streams/:id/clients/:cid', requireApiKey(ctx), redis, dropClient(ctx));
  app.get('/playlist.m3u', getPlaylist(ctx));
  app.get('/playlist.json', getPlaylistJson(ctx));
  app.post('/playlist/rewrite', rewritePlaylist(ctx));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(ctx.logger));
  return app;
}
