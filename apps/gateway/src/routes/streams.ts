// GET /proxy/streams[/:id]: what runs where (state, owner, engine, clients, buffer index).

import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';

export async function describeStream(ctx: GatewayContext, id: StreamId) {
  const [meta, clients, index] = await Promise.all([ctx.metadata.get(id), ctx.registry.list(id), ctx.store.lastIndex(id)]);
  if (!meta) return null;
  return {
    id,
    state: meta.state ?? 'unknown',
    owner: meta.owner ?? null,
    engine: meta.engine_host ? { host: meta.engine_host, port: Number(meta.engine_port) } : null,
    peers: meta.peers === undefined ? null : Number(meta.peers),
    speed_down: meta.speed_down === undefined ? null : Number(meta.speed_down),
    playback_session_id: meta.playback_session_id ?? null,
    started_at: meta.started_at ? Number(meta.started_at) : null,
    error_message: meta.error_message ?? null,
    buffer_index: index,
    client_count: clients.length,
    hls_session_count: clients.filter((c) => c.kind === 'hls').length,
    clients: clients.map((c) => ({
      id: c.clientId,
      kind: c.kind,
      ip: c.ip,
      user_agent: c.userAgent,
      worker_id: c.workerId,
      connected_at: c.connectedAt,
      bytes_sent: c.bytesSent,
      skips: c.skips,
      lag_chunks: c.lag,
    })),
  };
}

export function listStreams(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      const ids = await ctx.metadata.list();
      const streams = (await Promise.all(ids.map((id) => describeStream(ctx, id)))).filter((s) => s !== null);
      res.json({ streams });
    } catch (err) {
      next(err);
    }
  };
}

export function getStreamInfo(ctx: GatewayContext): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = parseStreamId(req.params.id);
      const stream = await describeStream(ctx, id);
      if (!stream) {
        res.status(404).json({ error: 'stream_not_found', message: `no stream ${id} is running` });
        return;
      }
      res.json(stream);
    } catch (err) {
      next(err);
    }
  };
}
