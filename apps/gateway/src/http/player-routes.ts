// Player routes and AUTH=token: the one list of what players reach, and the door that makes each
// of those requests show a user's token (a `/u/<token>/` path prefix or Basic credentials).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'node:url';
import { type Authenticated, TOKEN_PREFIX } from '@acestream-proxy/accounts';
import type { Accounts } from '../accounts/index.js';
import { sendError, toHttpError } from './errors.js';

/**
 * Every route a player, media server or IPTV manager reaches (DESIGN §8, §13, §14, §17). With
 * AUTH=token each needs a user's token; a route added later for players is covered by adding its
 * path here (the routes themselves do not check). Operator routes (`/`, `/proxy/...`, `/health`,
 * `/metrics`) are not here: they have keys of their own. `POST /playlist/rewrite` is not either:
 * it only rewrites the list posted to it and reveals nothing.
 */
export const PLAYER_PATHS: ReadonlySet<string> = new Set([
  '/ace/getstream',
  '/ace/manifest.m3u8',
  '/playlist.m3u',
  '/playlist.json',
  '/epg.xml',
  '/epg.xml.gz',
  // The emulated HDHomeRun (routes/tuner.ts).
  '/discover.json',
  '/device.json',
  '/device.xml',
  '/lineup.json',
  '/lineup_status.json',
  '/lineup.post',
]);

/** Player routes under a folder: HLS session files (`/ace/hls/<id>/<session>/<file>`), tuner channels (`/auto/v<n>`). */
export const PLAYER_PREFIXES: readonly string[] = ['/ace/hls/', '/auto/'];

/** The path of a request target, without its query. */
function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

/**
 * Whether a request path (no query) is a player route, as the router would match it: in any case
 * (Express routes ignore case: `/ACE/GetStream` is `/ace/getstream`) and with a trailing slash.
 */
export function isPlayerPath(path: string): boolean {
  const lower = path.toLowerCase();
  if (PLAYER_PATHS.has(lower) || (lower.length > 1 && lower.endsWith('/') && PLAYER_PATHS.has(lower.slice(0, -1)))) return true;
  return PLAYER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

const principals = new WeakMap<IncomingMessage, Authenticated>();

/** The user a player request was authenticated as; undefined with AUTH=none (and on other routes). */
export function principalOf(req: IncomingMessage): Authenticated | undefined {
  return principals.get(req);
}

/** The `/u/<token>` path a user's URLs start with (after the proxy's base URL); '' for requests without a user. */
export function userPathOf(req: IncomingMessage): string {
  const who = principals.get(req);
  return who ? `${TOKEN_PREFIX}${who.token}` : '';
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A path (not `//`: an authority to the parser) of characters the legacy parser neither escapes nor splits on. */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

/**
 * The request target as the router reads it. Express finds a route by `parseurl`, which falls back
 * to node's legacy `url.parse` for anything unusual: that parser turns `\` into `/`, stops the
 * path at `#`, and takes the path of an absolute-form target (`GET http://host/path`). Deciding
 * on the raw text instead let `/ace\getstream`, `/ace/getstream#?id=…` and
 * `http://host/ace/getstream?id=…` reach the stream without a token. So the door reads the target
 * with the same parser and hands the routes that reading. Null when nothing can be routed.
 */
export function routedTarget(url: string): string | null {
  // What that parser gives back unchanged (checked against it in player-routes.test.ts): every
  // player's request, read without it (~1% of a join's CPU).
  if (PLAIN_TARGET.test(url)) return url;
  try {
    // Deprecated for new code, and kept here on purpose: it is the router's own parser (via parseurl).
    const { pathname, search } = parse(url);
    return pathname === null ? null : pathname + (search ?? '');
  } catch {
    return null;
  }
}

/**
 * In front of every route (http/server.ts). AUTH=none: `route` itself, untouched (a `/u/...` path
 * is then an unknown route like any other). AUTH=token: a player route, or any `/u/<token>/...`
 * target, is authenticated first; the user is remembered on the request (`principalOf`) and the
 * route sees the target without its prefix. A missing, malformed or wrong token is answered 401
 * with a Basic challenge and the same body whatever was wrong; a prefix before a path that is no
 * player route is a 404 (a token does not open operator routes).
 */
export function playerGate(accounts: Accounts | null, route: Handler): Handler {
  if (!accounts) return route;
  const { authenticator } = accounts;
  return (req, res) => {
    const url = routedTarget(req.url ?? '/');
    if (url === null) {
      sendError(res, { status: 400, code: 'bad_request', message: 'the request target must be a path (or an absolute URL)' });
      return;
    }
    req.url = url;
    if (!url.startsWith(TOKEN_PREFIX) && !isPlayerPath(pathOf(url))) {
      route(req, res);
      return;
    }
    authenticator.authenticate(req).then(
      (who) => {
        if (!isPlayerPath(pathOf(who.url))) {
          sendError(res, { status: 404, code: 'not_found', message: `no player route ${pathOf(who.url)}` });
          return;
        }
        req.url = who.url;
        principals.set(req, who);
        route(req, res);
      },
      (err) => sendError(res, toHttpError(err)),
    );
  };
}
