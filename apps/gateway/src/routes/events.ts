// GET /proxy/events: the status page's server-sent events (the whole cluster's view, every second).

import type { RequestHandler } from 'express';
import type { StatusFeed } from '../status/feed.js';

export function events(feed: StatusFeed): RequestHandler {
  return (req, res) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    // nginx and friends buffer responses unless told not to; an event stream must not wait.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    // After a dropped connection, the browser reconnects after this long.
    res.write('retry: 2000\n\n');
    feed.watch(res);
  };
}
