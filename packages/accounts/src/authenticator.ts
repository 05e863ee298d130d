// AUTH=token: the user a player request belongs to, or UnauthorizedError (401), nothing in between.

import { extractCredential, type RequestLike } from './credentials.js';
import { UnauthorizedError } from './errors.js';
import type { UserStore } from './store.js';
import { hashToken, isTokenShaped, sameHash } from './token.js';
import { type PublicUser, publicUser, usable } from './user.js';

/** Who is watching: what a player connection is admitted and later revoked by. */
export interface Principal {
  readonly user: PublicUser;
  /** The SHA-256 of the token the request carried: a rotation cuts the players holding the old one. */
  readonly tokenHash: string;
}

export interface Authenticated extends Principal {
  /** The request target the routes see: the `/u/<token>` prefix removed. */
  readonly url: string;
  /** The token itself, for the URLs a per-user playlist hands out; never logged or stored. */
  readonly token: string;
}

export class Authenticator {
  constructor(
    private readonly store: UserStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves the request's user, or rejects with UnauthorizedError whatever was wrong (missing,
   * malformed, unknown, disabled, expired, name not the token's). The token is looked up by its
   * SHA-256, so how long the lookup takes says nothing about how close a guess was, and the stored
   * hash is compared once more in constant time. Store failures reject with their own error (503).
   */
  async authenticate(req: RequestLike): Promise<Authenticated> {
    const found = extractCredential(req);
    if (!found.ok || found.credential === null || !isTokenShaped(found.credential.token)) throw new UnauthorizedError();
    const tokenHash = hashToken(found.credential.token);
    const user = await this.store.byTokenHash(tokenHash);
    if (
      user === null ||
      !sameHash(user.tokenHash, tokenHash) ||
      !usable(user, this.now()) ||
      (found.credential.name !== null && found.credential.name !== user.name)
    ) {
      throw new UnauthorizedError();
    }
    return { user: publicUser(user), tokenHash, url: found.url, token: found.credential.token };
  }
}
