// ALLOWED_HOSTS: the status page and /proxy/* answer only requests addressed to a listed host, so
// a web page whose name was rebound to this proxy's address (DNS rebinding) cannot use them.

import type { RequestHandler } from 'express';

/** The request's Host is not in ALLOWED_HOSTS. */
export class HostNotAllowedError extends Error {
  readonly code = 'host_not_allowed';
  constructor(host: string) {
    super(
      `this proxy does not answer for Host ${JSON.stringify(host)} here; ` +
        'open it at a name listed in ALLOWED_HOSTS (or add this one there)',
    );
    this.name = 'HostNotAllowedError';
  }
}

/** `name:port` entries match exactly; a bare `name` matches it on any port. Null allows any Host. */
export function allowedHosts(list: readonly string[] | null): RequestHandler {
  if (!list) return (_req, _res, next) => next();
  const exact = new Set(list);
  return (req, _res, next) => {
    const host = (req.headers.host ?? '').toLowerCase();
    const name = host.replace(/:\d+$/, '');
    next(exact.has(host) || exact.has(name) ? undefined : new HostNotAllowedError(host));
  };
}
