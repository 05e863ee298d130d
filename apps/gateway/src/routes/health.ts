// GET /health: liveness plus whether the backend (Redis) answers, and warnings (durable state lost).

import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

export function health(ctx: GatewayContext): RequestHandler {
  return async (_req, res) => {
    const healthy = await ctx.backendHealthy();
    // Playlist sources are reported, not judged: a failing source keeps its last good copy.
    const playlist = healthy ? await ctx.playlist.health().catch(() => null) : null;
    // Guide sources likewise: every host reads the same sources, so a failing one is no reason
    // for a load balancer to take this host out; the host still streams, and serves the last good guide.
    const guide =
      healthy && (await ctx.guide.configured().catch(() => false)) ? await ctx.guide.health().catch(() => null) : null;
    // Lost durable state is a warning, not a failure: the proxy serves, but what was lost is gone (DESIGN §19).
    const durable = ctx.durableState().warning;
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'degraded',
      mode: ctx.mode,
      redis: ctx.mode === 'embedded' ? 'not used' : healthy ? 'ok' : 'unreachable',
      worker_id: ctx.workerId,
      uptime_s: Math.round(process.uptime()),
      ...(playlist ? { playlist } : {}),
      ...(guide ? { guide } : {}),
      ...(durable ? { warnings: [durable] } : {}),
    });
  };
}
