// Baseline for the hls scenario: a static-file HLS server (one process, no Redis, no framework)
// listing a new 2 s segment every 2 s, each the same bytes from memory. Run as a process:
// SEGMENT_BYTES=<bytes> node scripts/bench/hls-baseline.mjs
import http from 'node:http';

const segment = Buffer.alloc(Number(process.env.SEGMENT_BYTES ?? 1_000_000), 0x47);
const master = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=4000000\nindex.m3u8\n';

function playlist() {
  const newest = Math.floor(Date.now() / 2000);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${newest - 5}`];
  for (let n = newest - 5; n <= newest; n++) lines.push('#EXTINF:2.000,', `${n}.ts`);
  return `${lines.join('\n')}\n`;
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/manifest.m3u8')) res.end(master);
  else if (req.url.endsWith('.m3u8')) res.end(playlist());
  else {
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': segment.length });
    res.end(segment);
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
