// GET /health: liveness plus whether the backend (Redis) answers.

import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

export function health(ctx: GatewayContext): RequestHandler {
  return async (_req, res) => {
    const healthy = await ctx.backendHealthy();
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'degraded',
      mode: ctx.mode,
      redis: ctx.mode === 'embedded' ? 'not used' : healthy ? 'ok' : 'unreachable',
      worker_id: ctx.workerId,
      uptime_s: Math.round(process.uptime()),
    });
  };
}
