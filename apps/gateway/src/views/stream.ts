// One stream as the read views show it (GET /proxy/streams and the status feed): its state, owner,
// engine, players and buffer index, from metadata, the client registry and the chunk store.

import type { StreamId } from '@acestream-proxy/keys';
import type { StreamMetadata } from '@acestream-proxy/stream';
import type { GatewayContext } from '../context.js';

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

/** The stores a view reads (the request-path ones of the context). */
export type ViewReads = Pick<GatewayContext, 'metadata' | 'registry' | 'store'>;

export async function describeStream(reads: ViewReads, id: StreamId, options: DescribeOptions = {}) {
  const [meta, clients, index] = await Promise.all([reads.metadata.get(id), reads.registry.list(id), reads.store.lastIndex(id)]);
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
      // AUTH=token: whose player it is (AUTH=none players have none, and the field is left out).
      ...(c.user !== undefined ? { user: c.user } : {}),
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

/** What describeStream answers for a running stream. */
export type StreamView = NonNullable<Awaited<ReturnType<typeof describeStream>>>;
