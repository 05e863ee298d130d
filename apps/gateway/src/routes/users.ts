// /proxy/users: the admin API of AUTH=token (list, create, change, rotate, disconnect, delete), behind PROXY_API_KEY.

import { type PublicUser, TOKEN_PREFIX } from '@acestream-proxy/accounts';
import { isStreamId } from '@acestream-proxy/keys';
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Accounts } from '../accounts/index.js';
import type { GatewayContext } from '../context.js';
import { AccountsOffError } from '../http/errors.js';
import { liveUsers } from '../views/users.js';
import { proxyUrl } from './playlist.js';

/** A user as every answer shows it: never its token or the token's hash. */
export interface UserView {
  name: string;
  enabled: boolean;
  /** ISO 8601, or null for never. */
  expires_at: string | null;
  limits: PublicUser['limits'];
  groups: readonly string[];
  created_at: string;
  source: PublicUser['source'];
}

/** A user with what it watches now, cluster-wide (GET /proxy/users). */
export interface LiveUserView extends UserView {
  /** Distinct channels its players watch (one channel on two players counts once). */
  live_channels: number;
  /** Its player connections (TS streams and HLS sessions). */
  live_connections: number;
}

export function userView(user: PublicUser): UserView {
  return {
    name: user.name,
    enabled: user.enabled,
    expires_at: user.expiresAt === null ? null : new Date(user.expiresAt).toISOString(),
    limits: user.limits,
    groups: user.groups,
    created_at: new Date(user.createdAt).toISOString(),
    source: user.source,
  };
}

/** The one answer that shows a token: with the URLs to hand the person (playlist, HLS playlist, tuner). */
function issuedView(req: Request, ctx: GatewayContext, user: PublicUser, token: string) {
  const base = `${proxyUrl(req, ctx.config)}${TOKEN_PREFIX}${token}`;
  return {
    user: userView(user),
    token,
    playlist_url: `${base}/playlist.m3u`,
    hls_playlist_url: `${base}/playlist.m3u?format=hls`,
    tuner_url: `${base}/`,
  };
}

/** Every route answers 404 with AUTH=none: there are no users to manage. */
function accountsOf(ctx: GatewayContext): Accounts {
  if (!ctx.accounts) throw new AccountsOffError();
  return ctx.accounts;
}

/**
 * The routes; `guard` is the admin key check and the Redis readiness check of the other
 * management routes, `readGuard` the list's (the read key may look). Bodies are JSON whatever their Content-Type (curl -d sends a form type).
 */
export function userRoutes(ctx: GatewayContext, guard: RequestHandler[], readGuard: RequestHandler[] = guard): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb', type: () => true, strict: false });
  const handle =
    (fn: (req: Request, accounts: Accounts) => Promise<{ status: number; body: unknown }>): RequestHandler =>
    async (req, res, next) => {
      try {
        const { status, body } = await fn(req, accountsOf(ctx));
        res.status(status).json(body);
      } catch (err) {
        next(err);
      }
    };

  router.get(
    '/proxy/users',
    readGuard,
    handle(async (_req, accounts) => {
      const users: LiveUserView[] = (await liveUsers(accounts)).map(({ user, channels, connections }) => ({
        ...userView(user),
        live_channels: channels.length,
        live_connections: connections,
      }));
      return { status: 200, body: { users } };
    }),
  );
  router.post(
    '/proxy/users',
    guard,
    json,
    handle(async (req, accounts) => {
      const { user, token } = await accounts.users.create(req.body);
      ctx.logger.info('user created', { user: user.name });
      return { status: 201, body: issuedView(req, ctx, user, token) };
    }),
  );
  router.patch(
    '/proxy/users/:name',
    guard,
    json,
    handle(async (req, accounts) => {
      const user = await accounts.users.change(String(req.params.name), req.body);
      ctx.logger.info('user changed', { user: user.name });
      return { status: 200, body: { user: userView(user) } };
    }),
  );
  router.post(
    '/proxy/users/:name/rotate',
    guard,
    handle(async (req, accounts) => {
      const { user, token } = await accounts.users.rotate(String(req.params.name));
      ctx.logger.info('user token rotated', { user: user.name });
      return { status: 200, body: issuedView(req, ctx, user, token) };
    }),
  );
  router.post(
    '/proxy/users/:name/disconnect',
    guard,
    handle(async (req, accounts) => {
      const user = await accounts.users.disconnect(String(req.params.name));
      // Every worker's revocation watch cuts the user's players within a second; TS players end
      // at once through their streams' channels too.
      const live = await accounts.admission.connections(user.name);
      await Promise.all(
        live.map(async (c) => {
          // A stored channel that is no stream id is not the asker's error: that player ends through the revocation watch alone.
          if (!isStreamId(c.stream)) {
            ctx.logger.warn('a player of the user has no valid stream id', { user: user.name, client_id: c.connection });
            return;
          }
          await ctx.streams.dropClient(c.stream, c.connection).catch((err: Error) => {
            ctx.logger.warn('could not end a player', { user: user.name, client_id: c.connection, error: err.message });
          });
        }),
      );
      ctx.logger.info('user disconnected', { user: user.name, connections: live.length });
      return { status: 202, body: { user: userView(user), status: 'disconnecting', connections: live.length } };
    }),
  );
  router.delete(
    '/proxy/users/:name',
    guard,
    handle(async (req, accounts) => {
      const name = String(req.params.name);
      await accounts.users.remove(name);
      ctx.logger.info('user deleted', { user: name });
      return { status: 200, body: { name, status: 'deleted' } };
    }),
  );
  return router;
}
