// GET /playlist.m3u, GET /playlist.json, POST /playlist/rewrite: channel lists pointing at the proxy.

import type { TLSSocket } from 'node:tls';
import type { ProxyConfig } from '@acestream-proxy/config';
import {
  BadPlaylistOptionError,
  listChannels,
  listGroups,
  onlyGroups,
  type Playlist,
  type PlaylistFormat,
  type RenderOptions,
  renderPlaylist,
} from '@acestream-proxy/playlist';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { GatewayContext } from '../context.js';
import { guidedPlaylist } from '../guide.js';
import { principalOf, userPathOf } from '../http/player-routes.js';

const M3U_TYPE = 'audio/x-mpegurl; charset=utf-8';

export function getPlaylist(ctx: GatewayContext): RequestHandler {
  return async (req, res) => {
    const options = renderOptions(req, ctx.config);
    const { playlist, meta } = await ctx.playlist.snapshot();
    // With a guide configured, players read it from the proxy (merged, ids matching this list);
    // the whole list is guided (its entries cached per refresh), then cut to the user's groups.
    const guided =
      ctx.guide.sourcesFor(playlist).length > 0
        ? await guidedPlaylist({ playlist, version: meta.refreshedAt }, ctx.tuner.service, `${options.baseUrl}/epg.xml`)
        : playlist;
    sendM3u(res, renderPlaylist(playlistFor(req, guided), options));
  };
}

export function getPlaylistJson(ctx: GatewayContext): RequestHandler {
  return async (req, res) => {
    const options = renderOptions(req, ctx.config);
    const snapshot = await ctx.playlist.snapshot();
    const { meta } = snapshot;
    const playlist = playlistFor(req, snapshot.playlist);
    res.setHeader('Cache-Control', 'no-cache');
    res.json({
      refreshed_at: new Date(meta.refreshedAt).toISOString(),
      sources: meta.status,
      groups: listGroups(playlist),
      channels: listChannels(playlist, options),
    });
  };
}

/**
 * Rewrites the M3U in the body (one-off use); never fetches anything the body names. Its own
 * body limit (PLAYLIST_REWRITE_MAX_BYTES, 1 MiB) and the rewriter's thread keep a flood of large
 * posts from stalling the players this worker feeds.
 */
export function rewritePlaylist(ctx: GatewayContext): RequestHandler[] {
  return [
    // Bytes, not text: the thread decodes them, so the event loop never handles the list as a string.
    express.raw({ type: () => true, limit: ctx.config.playlistRewriteMaxBytes }),
    async (req, res) => {
      const options = renderOptions(req, ctx.config);
      sendM3u(res, await ctx.rewriter.rewrite(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), options));
    },
  ];
}

/**
 * The playlist a request's user sees: all of it, or, for a user limited to groups, only the
 * entries of those (a `?group=` filter then narrows further, never widens). Groups shape what a
 * user is handed, not what it may play: /ace/getstream takes any id, as with AUTH=none, and a
 * user's limits are what bound its use.
 */
export function playlistFor(req: Request, playlist: Playlist): Playlist {
  const groups = principalOf(req)?.user.groups;
  return groups && groups.length > 0 ? onlyGroups(playlist, groups) : playlist;
}

function sendM3u(res: Response, text: string | Buffer): void {
  res.setHeader('Content-Type', M3U_TYPE);
  res.setHeader('Content-Disposition', 'inline; filename="playlist.m3u"');
  res.setHeader('Cache-Control', 'no-cache');
  res.send(text);
}

function renderOptions(req: Request, config: ProxyConfig): RenderOptions {
  const format = req.query.format ?? 'ts';
  if (format !== 'ts' && format !== 'hls') {
    throw new BadPlaylistOptionError(`format must be ts (MPEG-TS, the default) or hls (got ${JSON.stringify(format)})`);
  }
  const group = req.query.group;
  const groups = (Array.isArray(group) ? group : group === undefined ? [] : [group]).filter(
    (g): g is string => typeof g === 'string' && g !== '',
  );
  return { baseUrl: baseUrl(req, config), format: format as PlaylistFormat, groups };
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const PREFIX = /^(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+$/;

/**
 * Where this request's player reaches the proxy: the proxy's URL (`proxyUrl`) and, with AUTH=token,
 * the user's `/u/<token>` after it, so every URL a user's playlist, lineup or guide hands out
 * carries the token (players cannot add one themselves).
 */
export function baseUrl(req: Request, config: ProxyConfig): string {
  return proxyUrl(req, config) + userPathOf(req);
}

/**
 * Where players reach this proxy: PUBLIC_URL; else this request's scheme and Host header. The
 * X-Forwarded-Proto/-Host/-Prefix headers of a reverse proxy count only with TRUST_PROXY, since
 * any client can send them. (Express's own `trust proxy` is not used: it trusts loopback peers.)
 */
export function proxyUrl(req: Request, config: ProxyConfig): string {
  if (config.publicUrl) return config.publicUrl;
  const forwarded = (name: string) => (config.trustProxy ? req.get(name)?.split(',')[0]?.trim() : undefined);
  const proto = forwarded('x-forwarded-proto')?.toLowerCase();
  const scheme = proto === 'http' || proto === 'https' ? proto : (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const candidates = [forwarded('x-forwarded-host'), req.get('host')];
  const host = candidates.find((h): h is string => h !== undefined && HOST.test(h)) ?? localHost(req);
  const prefix = forwarded('x-forwarded-prefix')?.replace(/\/+$/, '');
  return `${scheme}://${host}${prefix && PREFIX.test(prefix) ? prefix : ''}`;
}

function localHost(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
}
