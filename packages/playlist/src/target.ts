// Which entry targets are AceStream streams, and the proxy URL each becomes.

import { parseStreamId, type StreamId } from '@acestream-proxy/keys';

const BARE_ID = /^[0-9a-f]{40}$/i;
const ACESTREAM_LINK = /^acestream:\/\/([0-9a-f]{40})(?:[/?#]|$)/i;
/** Engine API paths that take the stream id as a query parameter. */
const ENGINE_PATH = /\/ace\/(?:getstream|manifest\.m3u8)\/?$/i;
const ID_PARAMS = ['id', 'infohash', 'content_id'];

/**
 * The AceStream id of a target: `acestream://<id>`, a bare 40-hex id, or an engine URL
 * (`.../ace/getstream?id=|infohash=|content_id=<id>`); null for anything else. Upper-case hex
 * is lower-cased, as the proxy's own routes do.
 */
export function streamIdOf(target: string): StreamId | null {
  if (BARE_ID.test(target)) return parseStreamId(target);
  const link = ACESTREAM_LINK.exec(target);
  if (link) return parseStreamId(link[1]);
  if (!/^https?:\/\//i.test(target)) return null;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null;
  }
  if (!ENGINE_PATH.test(url.pathname)) return null;
  for (const name of ID_PARAMS) {
    const value = url.searchParams.get(name);
    if (value && BARE_ID.test(value)) return parseStreamId(value);
  }
  return null;
}

/** `ts` serves MPEG-TS from /ace/getstream; `hls` the live manifest from /ace/manifest.m3u8. */
export type PlaylistFormat = 'ts' | 'hls';

/** The proxy URL of a stream under `baseUrl` (scheme, host and any path prefix, no trailing slash). */
export function proxyUrl(baseUrl: string, id: StreamId, format: PlaylistFormat): string {
  return format === 'hls' ? `${baseUrl}/ace/manifest.m3u8?id=${id}` : `${baseUrl}/ace/getstream?id=${id}`;
}
