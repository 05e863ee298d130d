// User tokens: 256 random bits as 43 base64url characters, kept only as their SHA-256.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 bytes in base64url without padding: 43 characters, all safe in a URL path and in Basic credentials. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** How a stored token hash reads: SHA-256 in lower-case hex. */
export const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/;

/** A new token, shown once to whoever creates the user and never stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isTokenShaped(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/**
 * SHA-256, unkeyed and fast: a slow hash (scrypt, argon2) protects guessable passwords, and a token
 * of 256 random bits cannot be guessed from its hash anyway; a key (pepper) would add one more
 * secret every host must share and keep, and operators could no longer write a hash into
 * USERS_FILE with `printf %s "$TOKEN" | sha256sum`.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two hashes in time independent of where they differ (both are 64 hex characters when well formed). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
