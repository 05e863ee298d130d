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

export function browserHeaders(): RequestHandler {
  const page = helmet({ ...OPTIONS, crossOriginResourcePolicy: { policy: 'same-origin' } });
  const media = helmet({ ...OPTIONS, crossOriginResourcePolicy: { policy: 'cross-origin' } });
  return (req, res, next) => (isPlayerPath(req.path) ? media : page)(req, res, next);
}
