// Who an operator request is (DESIGN §16): the admin key (PROXY_API_KEY) or the read key
// (PROXY_READ_KEY) in a header, or the status page's session cookie a key login gave; the
// management routes' and (AUTH=token) the read views' gate, and the login itself.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { GatewayContext } from '../context.js';
import { ApiKeyError, TooManyFailuresError } from '../http/errors.js';
import type { OperatorRole } from './sessions.js';

/** The cookie holding a session id: 32 random bytes, base64url. */
export const SESSION_COOKIE = 'ace_operator';
/** A login lasts a working day; logging out ends it at once. */
export const SESSION_TTL_MS = 12 * 3600_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Keys and ids are compared as SHA-256 digests: equal lengths, so the comparison's time says nothing of the key's. */
const digest = (text: string) => createHash('sha256').update(text).digest();

type Ctx = Pick<GatewayContext, 'config' | 'clientAddress' | 'authFailures' | 'logger' | 'operatorSessions'>;

/** The configured keys' digests, made once per configuration (they never change while it runs). */
const keyDigests = new WeakMap<Ctx['config'], { admin: Buffer | null; read: Buffer | null }>();

/** The role a given key grants, or null; both keys are always compared, in constant time. */
function keyRole(ctx: Ctx, given: string): OperatorRole | null {
  let keys = keyDigests.get(ctx.config);
  if (!keys) {
    const { apiKey, readKey } = ctx.config;
    keys = { admin: apiKey === null ? null : digest(apiKey), read: readKey === null ? null : digest(readKey) };
    keyDigests.set(ctx.config, keys);
  }
  const g = digest(given);
  const admin = keys.admin !== null && timingSafeEqual(g, keys.admin);
  const read = keys.read !== null && timingSafeEqual(g, keys.read);
  return admin ? 'admin' : read ? 'read' : null;
}

function headerKey(req: Request): string | undefined {
  return req.get('x-api-key') ?? req.get('authorization')?.replace(/^Bearer\s+/i, '');
}

function sessionId(req: Request): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const id = part.slice(eq + 1).trim();
      return SESSION_ID.test(id) ? id : null;
    }
  }
  return null;
}

const sessionKey = (id: string) => digest(id).toString('hex');

/**
 * Checks a key against both, counting a wrong one against the client's address (an address that
 * sent too many waits, even with the right key, so guessing does not pay).
 */
async function checkKey(ctx: Ctx, req: Request, given: string): Promise<OperatorRole> {
  // Always a valid IP (TRUSTED_PROXIES decides when X-Forwarded-For counts): it names a key.
  const address = ctx.clientAddress.of(req);
  const blockedMs = await ctx.authFailures.blockedFor(address);
  if (blockedMs > 0) throw new TooManyFailuresError(Math.ceil(blockedMs / 1000));
  const role = keyRole(ctx, given);
  if (role) return role;
  const nowBlockedMs = await ctx.authFailures.fail(address);
  if (nowBlockedMs > 0) {
    ctx.logger.warn('too many wrong API keys: address blocked', { address, retry_after_s: Math.ceil(nowBlockedMs / 1000) });
    throw new TooManyFailuresError(Math.ceil(nowBlockedMs / 1000));
  }
  throw new ApiKeyError('unauthorized');
}

/** The request's role: from its header key (checked, a wrong one refused), else its session cookie, else null. */
export async function operatorRole(ctx: Ctx, req: Request): Promise<OperatorRole | null> {
  const given = headerKey(req);
  if (given !== undefined) return checkKey(ctx, req, given);
  const id = sessionId(req);
  return id ? ctx.operatorSessions.role(sessionKey(id)) : null;
}

/**
 * The management routes (DELETE /proxy/streams..., /proxy/users changes): the admin key, or an
 * admin login's cookie; the read key is refused (403); refuses all when no admin key is set.
 */
export function requireAdmin(ctx: Ctx): RequestHandler {
  return async (req, _res, next) => {
    if (ctx.config.apiKey === null) return next(new ApiKeyError('api_key_not_configured'));
    try {
      const role = await operatorRole(ctx, req);
      // A login that has expired is no guess at a key: refused, not counted against the address.
      if (role === null && sessionId(req) !== null) return next(new ApiKeyError('unauthorized'));
      // No key and no login counts as a wrong key, as it always has.
      if (role === null) await checkKey(ctx, req, '');
      next(role === 'admin' ? undefined : new ApiKeyError('read_only'));
    } catch (err) {
      next(err);
    }
  };
}

/**
 * AUTH=token's read views (status feed, /proxy/streams, the users list): either key or login.
 * `res.locals.operator` is the role; `res.locals.admin` is set for the admin's.
 */
export function requireOperator(ctx: Ctx): RequestHandler {
  return async (req, res, next) => {
    try {
      const role = await operatorRole(ctx, req);
      if (!role) return next(new ApiKeyError('operator_key_required'));
      res.locals.operator = role;
      if (role === 'admin') res.locals.admin = true;
      next();
    } catch (err) {
      next(err);
    }
  };
}

function setCookie(req: Request, res: Response, value: string, maxAgeS: number): void {
  // Secure when the page came over https (directly, or through a trusted proxy's X-Forwarded-Proto).
  const secure = req.secure ? '; Secure' : '';
  res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`);
}

/** A plain HTML form's post goes back to the page; a script's gets JSON. */
const fromForm = (req: Request) => req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';

/** POST /proxy/login (AUTH=token): `key` (form or JSON) → an HttpOnly session cookie of the key's role. */
export function login(ctx: Ctx): RequestHandler[] {
  const bodies = [express.urlencoded({ extended: false, limit: '2kb' }), express.json({ limit: '2kb' })];
  return [
    ...bodies,
    async (req, res, next) => {
      try {
        const key = (req.body as { key?: unknown } | undefined)?.key;
        if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
          res.status(400).json({ error: 'bad_request', message: 'send the admin or read key as `key` (form field or JSON)' });
          return;
        }
        const role = await checkKey(ctx, req, key);
        const id = randomBytes(32).toString('base64url');
        await ctx.operatorSessions.create(sessionKey(id), role, SESSION_TTL_MS);
        setCookie(req, res, id, SESSION_TTL_MS / 1000);
        res.setHeader('Cache-Control', 'no-store');
        if (fromForm(req)) res.redirect(303, '/');
        else res.json({ role });
      } catch (err) {
        next(err);
      }
    },
  ];
}

/** POST /proxy/logout: ends the session here and in the browser. */
export function logout(ctx: Ctx): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = sessionId(req);
      if (id) await ctx.operatorSessions.end(sessionKey(id));
      setCookie(req, res, '', 0);
      if (fromForm(req)) res.redirect(303, '/');
      else res.status(204).end();
    } catch (err) {
      next(err);
    }
  };
}

/** GET /proxy/session: what the status page should show (a login form, the read view, the admin's buttons). */
export function session(ctx: Ctx): RequestHandler {
  return async (req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'no-store');
      if (ctx.config.auth === 'none') {
        res.json({ auth: 'none', role: null });
        return;
      }
      const id = sessionId(req);
      res.json({ auth: 'token', role: id ? await ctx.operatorSessions.role(sessionKey(id)) : null });
    } catch (err) {
      next(err);
    }
  };
}
