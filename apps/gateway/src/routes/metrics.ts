// GET /metrics: prom-client's exposition of this host's workers (see metrics/ for who counts what).

import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { CONTENT_TYPE } from '../metrics/host-metrics.js';

export function metrics(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      res.type(CONTENT_TYPE).send(await ctx.metrics.scrape());
    } catch (err) {
      next(err);
    }
  };
}
