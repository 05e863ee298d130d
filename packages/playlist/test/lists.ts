// Realistic test playlists, as scrapers and community lists publish them, with their quirks.

/** Deterministic 40-hex ids: the same `n` gives the same id in every list. */
export function aceId(n: number): string {
  return `${n.toString(16).padStart(8, '0')}a1b2c3d4e5f6`.repeat(3).slice(0, 40);
}

/** Channel names in several scripts, as real lists mix them. */
const NAMES = [
  'Sport 1 HD',
  'Первый канал',
  'Матч! Футбол 1',
  'beIN SPORTS 1 العربية',
  'ΕΡΤ1',
  'CCTV-5 体育',
  'NHK 総合',
  'Telecinco, España',
  'TV3 Català',
  '⚽ Premier League 24/7',
  'Eurosport 2 (Deutsch)',
  'Canal+ Sport "Live"',
];
const GROUPS = ['Sport', 'Новости', 'Football;Sport', 'عربي', 'Movies, Series'];

export interface ListA {
  text: string;
  /** Ids of the AceStream entries, in order (lower-case). */
  ids: string[];
  /** Targets that are not AceStream streams and must pass through untouched. */
  passThrough: string[];
  entries: number;
}

/**
 * 240 entries: UTF-8 BOM, CRLF, blank lines, `#EXTM3U url-tvg`, `acestream://` links in mixed
 * case, engine URLs with `id=`/`infohash=`/`content_id=`, `#EXTVLCOPT`/`#KODIPROP` lines, titles
 * in many scripts with commas, and plain HTTP streams.
 */
export function listA(): ListA {
  const lines = ['#EXTM3U url-tvg="http://epg.example.net/guide.xml.gz" tvg-shift="0"', ''];
  const ids: string[] = [];
  const passThrough: string[] = [];
  for (let n = 0; n < 240; n++) {
    const name = `${NAMES[n % NAMES.length]} #${n}`;
    const group = GROUPS[n % GROUPS.length]!;
    lines.push(
      `#EXTINF:-1 tvg-id="ch${n}.example" tvg-name="${name.replace(/"/g, "'")}" tvg-logo="https://logos.example.net/${n}.png" group-title="${group}",${name}`,
    );
    if (n % 7 === 0) lines.push('#EXTVLCOPT:http-user-agent=Mozilla/5.0', '#EXTVLCOPT:network-caching=1000');
    if (n % 11 === 0) lines.push('#KODIPROP:inputstream=inputstream.ffmpegdirect', '#KODIPROP:mimetype=video/mp2t');
    const id = aceId(n);
    if (n % 10 === 9) {
      const target = `http://cdn${n}.example.org/live/${n}/index.m3u8?token=abc`;
      passThrough.push(target);
      lines.push(target);
    } else {
      ids.push(id);
      switch (n % 5) {
        case 0:
          lines.push(`acestream://${id}`);
          break;
        case 1:
          lines.push(`ACESTREAM://${id.toUpperCase()}`);
          break;
        case 2:
          lines.push(`http://192.168.1.20:6878/ace/getstream?id=${id}`);
          break;
        case 3:
          lines.push(`http://engine.lan:6878/ace/getstream?pid=tv&infohash=${id.toUpperCase()}`);
          break;
        default:
          lines.push(`http://127.0.0.1:6878/ace/getstream?content_id=${id}&format=mp2t`);
      }
    }
    if (n % 13 === 0) lines.push('', '');
  }
  return { text: `\ufeff${lines.join('\r\n')}\r\n`, ids, passThrough, entries: 240 };
}

export interface ListB {
  text: string;
  ids: string[];
  /** Ids also in list A. */
  shared: string[];
}

/**
 * 160 entries: no `#EXTM3U`, LF line ends, bare ids (some upper-case), `#EXTGRP` instead of
 * `group-title`, entries without `#EXTINF`; 40 ids that list A has too.
 */
export function listB(): ListB {
  const lines: string[] = [];
  const ids: string[] = [];
  const shared: string[] = [];
  const idsOfA = listA().ids;
  for (let n = 0; n < 160; n++) {
    // Every 4th entry repeats one of list A's AceStream ids.
    const fromA = n % 4 === 0;
    const id = fromA ? idsOfA[(n / 4) * 3]! : aceId(1000 + n);
    if (fromA) shared.push(id);
    ids.push(id);
    if (n % 9 !== 0) {
      lines.push(`#EXTINF:0,${NAMES[(n + 3) % NAMES.length]} (B${n})`);
      lines.push(`#EXTGRP:${n % 2 ? 'Sport' : 'Кино'}`);
    }
    lines.push(n % 3 === 0 ? id.toUpperCase() : id);
  }
  return { text: `${lines.join('\n')}\n`, ids, shared: [...new Set(shared)] };
}

/** A third list whose header names its EPG under the other usual attribute. */
export const LIST_C = `#EXTM3U x-tvg-url="http://epg.example.com/b.xml"
#EXTINF:-1 tvg-id="extra" group-title="Sport",Extra channel
acestream://${aceId(5000)}
`;
