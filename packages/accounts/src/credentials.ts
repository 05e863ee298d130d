// Where a player's token is in a request: a `/u/<token>/` path prefix, or Basic credentials.
//
// The token travels in the path, not in a `?token=` parameter: an HLS player resolves segment and
// variant URLs relative to the playlist's path, so `/u/<token>/ace/manifest.m3u8` makes every
// segment URL carry the token with no rewriting, where a query parameter is dropped by relative
// resolution; and IPTV managers that rewrite playlists edit or re-encode query strings but keep
// the path. Basic credentials (`http://name:<token>@host/...`) are accepted too, for players whose
// users prefer them; players send them only after a 401 challenge.

import { isTokenShaped } from './token.js';

/** What a request carries: the parts this module reads (Node's IncomingMessage fits). */
export interface RequestLike {
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface Credential {
  readonly token: string;
  /** The Basic user name when one came with the token (checked against the token's user); null otherwise. */
  readonly name: string | null;
  readonly via: 'path' | 'basic';
}

export type Extraction =
  /** `url` is the request target with any `/u/<token>` prefix removed: what the routes see. */
  | { readonly ok: true; readonly credential: Credential | null; readonly url: string }
  /** A `/u/` prefix that holds no well-formed token, or is followed by a path that could leave it. */
  | { readonly ok: false; readonly reason: 'malformed_token' | 'bad_path' };

export const TOKEN_PREFIX = '/u/';

/**
 * Reads the credential of a request and the URL its route sees. Pure and total: whatever the
 * input, it returns (never throws), and the URL it returns after a prefix is the literal rest of
 * the path, only when no dot segment, encoded slash or backslash could make it name another route.
 */
export function extractCredential(req: RequestLike): Extraction {
  const target = typeof req.url === 'string' ? req.url : '/';
  if (target.startsWith(TOKEN_PREFIX)) return fromPath(target);
  return { ok: true, credential: basic(req.headers.authorization), url: target };
}

function fromPath(target: string): Extraction {
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt);
  const tokenEnd = path.indexOf('/', TOKEN_PREFIX.length);
  const token = path.slice(TOKEN_PREFIX.length, tokenEnd === -1 ? path.length : tokenEnd);
  if (!isTokenShaped(token)) return { ok: false, reason: 'malformed_token' };
  const rest = tokenEnd === -1 ? '/' : path.slice(tokenEnd);
  if (!safePath(rest)) return { ok: false, reason: 'bad_path' };
  return { ok: true, credential: { token, name: null, via: 'path' }, url: rest + query };
}

/** RFC 3986 path characters: anything else (space, quotes, backslash) a URL parser would rewrite. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/**
 * A path a URL parser leaves as it is: only path characters, no `.` or `..` segment (written
 * plainly or percent-encoded), no empty segment but a trailing one (`//x` reads as a host), no
 * slash or backslash hidden in an escape, no control characters, and escapes that decode.
 */
function safePath(path: string): boolean {
  if (!path.startsWith('/') || !PATH_CHARS.test(path)) return false;
  const segments = path.slice(1).split('/');
  for (const [i, raw] of segments.entries()) {
    if (raw === '' && i < segments.length - 1) return false;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return false;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing escaped control characters is the point.
    if (segment === '.' || segment === '..' || /[/\\\u0000-\u001f\u007f]/.test(segment)) return false;
  }
  return true;
}

/** `Authorization: Basic base64(name:token)`; a token given as the name with no password counts too. */
function basic(header: string | string[] | undefined): Credential | null {
  if (typeof header !== 'string') return null;
  const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  if (password === '' && isTokenShaped(name)) return { token: name, name: null, via: 'basic' };
  return { token: password, name: name === '' ? null : name, via: 'basic' };
}
