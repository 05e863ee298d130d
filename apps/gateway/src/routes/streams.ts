// GET /proxy/streams[/:id]: what runs where (state, owner, engine, clients, buffer index).

import { parseStreamId, type StreamId } from '@acestream-proxy/keys';
import type { StreamMetadata } from '@acestream-proxy/stream';
import type { RequestHandler, Response } from 'express';
import type { GatewayContext } from '../context.js';
import { requireApiKey } from './manage.js';

export interface DescribeOptions {
  /**
   * The operator's view: adds the engine session (its id and control URLs). Anyone holding them
   * who reaches the engine can stop the session and end the stream for every player, so the
   * anonymous view never carries them (issue 20).
   */
  admin?: boolean;
  /** Players listed, oldest first; `client_count` still counts all of them. Default: all. */
  maxClients?: number;
}

export async function describeStream(ctx: GatewayContext, id: StreamId, options: DescribeOptions = {}) {
  const [meta, clients, index] = await Promise.all([ctx.metadata.get(id), ctx.registry.list(id), ctx.store.lastIndex(id)]);
  if (!meta) return null;
  const listed =
    options.maxClients === undefined || clients.length <= options.maxClients
      ? clients
      : [...clients]
          .sort((a, b) => a.connectedAt - b.connectedAt || a.clientId.localeCompare(b.clientId))
          .slice(0, options.maxClients);
  return {
    id,
    state: meta.state ?? 'unknown',
    owner: meta.owner ?? null,
    engine: meta.engine_host ? { host: meta.engine_host, port: Number(meta.engine_port) } : null,
    ...(options.admin ? { engine_session: engineSession(meta) } : {}),
    peers: meta.peers === undefined ? null : Number(meta.peers),
    speed_down: meta.speed_down === undefined ? null : Number(meta.speed_down),
    started_at: meta.started_at ? Number(meta.started_at) : null,
    error_message: meta.error_message ?? null,
    buffer_index: index,
    client_count: clients.length,
    hls_session_count: clients.filter((c) => c.kind === 'hls').length,
    clients: listed.map((c) => ({
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

function engineSession(meta: StreamMetadata) {
  return {
    playback_session_id: meta.playback_session_id ?? null,
    playback_url: meta.playback_url ?? null,
    stat_url: meta.stat_url ?? null,
    command_url: meta.command_url ?? null,
  };
}

/**
 * Sorts callers of the read views: without a key the view is anonymous; with one it is checked
 * as for the management routes (a wrong key is refused there, never quietly downgraded) and the
 * answer is the operator's view.
 */
export function viewer(ctx: GatewayContext): RequestHandler {
  const checkKey = requireApiKey(ctx);
  return (req, res, next) => {
    if (req.get('x-api-key') === undefined && req.get('authorization') === undefined) {
      next();
      return;
    }
    checkKey(req, res, (err?: unknown) => {
      if (!err) res.locals.admin = true;
      next(err);
    });
  };
}

const isAdmin = (res: Response) => res.locals.admin === true;

export function listStreams(ctx: GatewayContext): RequestHandler {
  return async (_req, res, next) => {
    try {
      const ids = await ctx.metadata.list();
      const admin = isAdmin(res);
      const streams = (await Promise.all(ids.map((id) => describeStream(ctx, id, { admin })))).filter((s) => s !== null);
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
      const stream = await describeStream(ctx, id, { admin: isAdmin(res) });
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
