// Loading one configured playlist source (http(s) URL or file) within a deadline and a size cap.

import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fetch, { FetchError, type Response } from 'node-fetch';
import { SourceError } from './errors.js';

export interface SourceLimits {
  /** Deadline for the whole download (connect, redirects, body), ms. */
  timeoutMs: number;
  /** Largest body accepted, bytes. */
  maxBytes: number;
  /** Redirects followed before giving up. */
  maxRedirects: number;
  /** The knob an operator raises when a source is too large (named in the error); PLAYLIST_MAX_BYTES by default. */
  maxBytesKnob?: string;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = { timeoutMs: 15_000, maxBytes: 10 * 1024 * 1024, maxRedirects: 5 };

export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * How a source is shown in logs and /health: URLs lose their credentials and query string
 * (IPTV URLs often carry a username, password or token there); file paths are shown as given.
 */
export function describeSource(source: string): string {
  if (!isUrlSource(source)) return source;
  try {
    const url = new URL(source);
    return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return source;
  }
}

/** The text of a source; SourceError (naming the source and the cause) when it cannot be had. */
export async function loadSource(source: string, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): Promise<string> {
  return isUrlSource(source) ? fetchSource(source, limits) : readSource(source, limits);
}

async function fetchSource(source: string, limits: SourceLimits): Promise<string> {
  try {
    const res = await requestSource(source, limits, 'audio/x-mpegurl, application/x-mpegurl, text/plain, */*');
    return await res.text();
  } catch (err) {
    throw asSourceError(source, err, limits);
  }
}

/**
 * Answers an http(s) source within the limits: credentials sent as Basic authorization (never in
 * the URL), redirects bounded, a non-2xx answer or a declared length past the cap refused with
 * a SourceError. The body is the caller's to read, still under `limits.timeoutMs`.
 */
export async function requestSource(source: string, limits: SourceLimits, accept: string): Promise<Response> {
  const name = describeSource(source);
  const { url, authorization } = withoutCredentials(source);
  const res = await fetch(url, {
    signal: AbortSignal.timeout(limits.timeoutMs),
    follow: limits.maxRedirects,
    size: limits.maxBytes,
    headers: { 'user-agent': 'acestream-proxy', accept, ...(authorization ? { authorization } : {}) },
  });
  if (!res.ok) {
    res.body?.resume();
    throw new SourceError(name, `HTTP ${res.status} ${res.statusText}`.trim());
  }
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > limits.maxBytes) {
    res.body?.resume();
    throw tooLarge(name, limits);
  }
  return res;
}

/** `http://user:pass@host/…` as fetch wants it: credentials moved to a Basic Authorization header. */
export function withoutCredentials(source: string): { url: string; authorization: string | null } {
  const url = new URL(source);
  if (!url.username && !url.password) return { url: source, authorization: null };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

export function asSourceError(source: string, err: unknown, limits: SourceLimits): SourceError {
  if (err instanceof SourceError) return err;
  const name = describeSource(source);
  const e = err as Error & { type?: string; code?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new SourceError(name, `no complete answer within ${limits.timeoutMs / 1000} s`);
  }
  if (err instanceof FetchError) {
    if (e.type === 'max-size') return tooLarge(name, limits);
    if (e.type === 'max-redirect') return new SourceError(name, `more than ${limits.maxRedirects} redirects`);
    // node-fetch's own message repeats the whole URL, query string (and any token in it) included.
    if (e.code) return new SourceError(name, NETWORK_ERRORS[e.code] ?? `request failed (${e.code})`);
  }
  return new SourceError(name, (e.message ?? String(err)).replaceAll(source, name));
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (ECONNREFUSED)',
  ENOTFOUND: 'host not found (ENOTFOUND)',
  ECONNRESET: 'connection reset (ECONNRESET)',
  ETIMEDOUT: 'connection timed out (ETIMEDOUT)',
  EHOSTUNREACH: 'host unreachable (EHOSTUNREACH)',
};

export function tooLarge(name: string, limits: SourceLimits): SourceError {
  return new SourceError(name, `larger than ${limits.maxBytes} bytes (${limits.maxBytesKnob ?? 'PLAYLIST_MAX_BYTES'})`);
}

async function readSource(source: string, limits: SourceLimits): Promise<string> {
  const path = source.startsWith('file://') ? fileURLToPath(source) : source;
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    if (size > limits.maxBytes) throw tooLarge(source, limits);
    return (await handle.readFile()).toString('utf8');
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new SourceError(source, e.code === 'ENOENT' ? 'no such file' : e.message);
  } finally {
    await handle?.close();
  }
}
