// The gateway's Express app: every HTTP route of DESIGN §8 wired to the context's services.

import express from 'express';
import type { GatewayContext } from './context.js';
import { errorHandler } from './errors.js';
import { getStream, headStream } from './routes/getstream.js';
import { health } from './routes/health.js';
import { getHlsFile, getManifest, headManifest } from './routes/hls.js';
import { dropClient, requireApiKey, stopStream } from './routes/manage.js';
import { metrics } from './routes/metrics.js';
import { getStreamInfo, listStreams } from './routes/streams.js';

export function createApp(ctx: GatewayContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', 'loopback');

  app.head('/ace/getstream', headStream());
  app.get('/ace/getstream', getStream(ctx));
  app.head('/ace/manifest.m3u8', headManifest());
  app.get('/ace/manifest.m3u8', getManifest(ctx));
  app.get('/ace/hls/:id/:session/:file', getHlsFile(ctx));
  app.get('/health', health(ctx));
  app.get('/metrics', metrics(ctx));
  app.get('/proxy/streams', listStreams(ctx));
  app.get('/proxy/streams/:id', getStreamInfo(ctx));
  app.delete('/proxy/streams/:id', requireApiKey(ctx), stopStream(ctx));
  app.delete('/proxy/streams/:id/clients/:cid', requireApiKey(ctx), dropClient(ctx));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(ctx.logger));
  return app;
}
