// Browser security headers (helmet) for everything Express answers: the status page holds an API
// key field and Stop/Drop buttons, so no framing, no inline script, no sniffing, no referrer.

import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { isPlayerPath } from './player-routes.js';

const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      // The page's scripts are files of its own (status.js, uPlot): no inline script, no eval.
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      // uPlot sizes its canvas through the style object (CSSOM), which needs no inline styles.
      styleSrc: ["'self'"],
      // Channel logos come from wherever the playlists point (tvg-logo).
      imgSrc: ["'self'", 'data:', 'http:', 'https:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      // No upgrade-insecure-requests: most deployments serve the page over plain HTTP on a LAN.
    },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  // TLS ends in front of the proxy: HSTS is that server's decision, not ours.
  strictTransportSecurity: false,
};

/**
 * Player routes (media, playlists, the guide, the tuner: http/player-routes.ts) are fetched by
 * players and web players on other origins (HLS answers `Access-Control-Allow-Origin: *`), so they
 * may be loaded cross-origin; the page and the API may not.
 */

const page = helmet({ ...OPTIONS, crossOriginResourcePolicy: { policy: 'same-origin' } });
const media = helmet({ ...OPTIONS, crossOriginResourcePolicy: { policy: 'cross-origin' } });

export function browserHeaders(): RequestHandler {
  return (req, res, next) => (isPlayerPath(req.path) ? media : page)(req, res, next);
}

/**
 * The headers helmet gives a player route's answer, for the routes served before Express (the
 * HLS files, routes/hls.ts): the same for every request (no directive depends on it), so taken
 * once from helmet itself, by running it against a response that only records them.
 */
export const PLAYER_HEADERS: ReadonlyArray<readonly [string, string]> = (() => {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let done = false;
  (media as unknown as (req: object, res: object, next: (err?: unknown) => void) => void)({}, recorder, (err) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously: PLAYER_HEADERS cannot be taken from it');
  return [...headers];
})();
