// One XMLTV source filtered as a stream (SAX, never a DOM): matched channels and their programmes.

import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate } from 'node:timers/promises';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { ChannelMatcher } from './matcher.js';

export interface FilterSinks {
  /** Receives `<channel>` elements, each once per merged id. */
  channels: Writable;
  /** Receives `<programme>` elements, channel attribute rewritten to the merged id. */
  programmes: Writable;
  /** Told each programme kept: its merged channel id, start and stop as written (XMLTV times), first title. */
  onProgramme?: (channel: string, start: string, stop: string, title: string) => void;
}

export interface FilterResult {
  channels: number;
  programmes: number;
}

/** Text handed to the parser at once: a few milliseconds of work, however large the source's chunks. */
const PARSE_SLICE_CHARS = 64 * 1024;
/** Longest stretch of parsing before the event loop gets a turn (timers, players' sockets). */
const PARSE_SLICE_MS = 10;

const NO_TIMES = { start: '', stop: '', title: null };

export const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]!);

function openTag(tag: SaxesTagPlain, override?: Record<string, string>): string {
  const attributes = { ...tag.attributes, ...override };
  return `<${tag.name}${Object.entries(attributes)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('')}>`;
}

/**
 * Reads `input` (XMLTV bytes, already gunzipped) and writes what the playlist wants. Only one
 * element (a channel or a programme, a few kB) is held at a time; writes wait for the sinks to
 * drain, so a slow disk slows the parse instead of growing the heap.
 */
export async function filterGuide(
  input: AsyncIterable<Buffer>,
  matcher: ChannelMatcher,
  sinks: FilterSinks,
  written: Set<string>,
): Promise<FilterResult> {
  const parser = new SaxesParser();
  /** Source channel id → merged id, learnt from the channel elements (XMLTV lists them first). */
  const mapped = new Map<string, string>();
  const result: FilterResult = { channels: 0, programmes: 0 };
  let element: {
    kind: 'channel' | 'programme';
    parts: string[];
    names: string[];
    id: string;
    depth: number;
    /** Where the display names end in `parts`: the DTD wants every display name before icons. */
    afterNames: number;
    /** A programme's start, stop and first title (only when `onProgramme` listens). */
    start: string;
    stop: string;
    title: string | null;
  } | null = null;
  let inTitle = false;
  /** The channel's first display name's language, which the GuideNumber's display name takes too. */
  let nameLang: string | undefined;
  let depth = 0;
  let inName = false;
  let nameText = '';
  const pending: Array<[Writable, string]> = [];

  parser.on('opentag', (tag) => {
    depth++;
    if (!element) {
      if (depth === 2 && tag.name === 'channel') {
        element = { kind: 'channel', parts: [], names: [], id: tag.attributes.id ?? '', depth, afterNames: 0, ...NO_TIMES };
        nameLang = undefined;
      } else if (depth === 2 && tag.name === 'programme') {
        const target = mapped.get(tag.attributes.channel ?? '');
        if (!target) {
          element = { kind: 'programme', parts: [], names: [], id: '', depth, afterNames: 0, ...NO_TIMES };
          return;
        }
        element = {
          kind: 'programme',
          parts: [openTag(tag, { channel: target })],
          names: [],
          id: target,
          depth,
          afterNames: 0,
          start: tag.attributes.start ?? '',
          stop: tag.attributes.stop ?? '',
          title: null,
        };
      }
      return;
    }
    if (element.kind === 'channel' && tag.name === 'display-name') {
      if (element.names.length === 0 && !inName) nameLang = tag.attributes.lang;
      inName = true;
      nameText = '';
    }
    if (element.kind === 'programme' && element.id && tag.name === 'title' && element.title === null && sinks.onProgramme) {
      inTitle = true;
      element.title = '';
    }
    if (element.kind === 'channel' || element.id) element.parts.push(openTag(tag));
  });
  parser.on('text', (text) => {
    if (!element || (element.kind === 'programme' && !element.id)) return;
    if (inName) nameText += text;
    if (inTitle) element.title = (element.title ?? '') + text;
    element.parts.push(escapeXml(text));
  });
  parser.on('closetag', (tag) => {
    depth--;
    if (!element) return;
    if (depth + 1 > element.depth) {
      if (element.kind === 'channel' || element.id) element.parts.push(`</${tag.name}>`);
      if (inName && tag.name === 'display-name') {
        inName = false;
        element.names.push(nameText);
        element.afterNames = element.parts.length;
      }
      if (tag.name === 'title') inTitle = false;
      return;
    }
    if (element.kind === 'programme') {
      if (element.id) {
        pending.push([sinks.programmes, `${element.parts.join('')}</programme>\n`]);
        result.programmes++;
        sinks.onProgramme?.(element.id, element.start, element.stop, element.title ?? '');
      }
    } else {
      const match = matcher.match(element.id, element.names);
      if (match) {
        mapped.set(element.id, match.id);
        if (!written.has(match.id)) {
          written.add(match.id);
          pending.push([sinks.channels, channelElement(match.id, match.channel.guideNumber, nameLang, element)]);
          result.channels++;
        }
      }
    }
    element = null;
  });

  const decoder = new StringDecoder('utf8');
  let sliceStart = performance.now();
  for await (const chunk of input) {
    const text = decoder.write(chunk);
    for (let at = 0; at < text.length; at += PARSE_SLICE_CHARS) {
      parser.write(at === 0 && text.length <= PARSE_SLICE_CHARS ? text : text.slice(at, at + PARSE_SLICE_CHARS));
      await flush(pending);
      // Parsing is CPU work on the worker that also feeds players: give the loop back often.
      if (performance.now() - sliceStart > PARSE_SLICE_MS) {
        await setImmediate();
        sliceStart = performance.now();
      }
    }
  }
  parser.write(decoder.end());
  parser.close();
  await flush(pending);
  return result;
}

/**
 * The channel under its merged id, with the GuideNumber as one more display name (what Plex and
 * Jellyfin match a lineup entry's number by), after the source's names and in the language of the
 * first: a reader picking a name by language (Jellyfin) still picks the source's name.
 */
function channelElement(
  id: string,
  guideNumber: string | null,
  lang: string | undefined,
  element: { parts: string[]; names: string[]; afterNames: number },
): string {
  // The source's open tag is dropped (its id is the source's); its children are kept as read.
  const parts = [...element.parts];
  if (guideNumber && !element.names.includes(guideNumber)) {
    const attribute = lang === undefined ? '' : ` lang="${escapeXml(lang)}"`;
    parts.splice(element.afterNames, 0, `<display-name${attribute}>${escapeXml(guideNumber)}</display-name>`);
  }
  return `<channel id="${escapeXml(id)}">${parts.join('')}</channel>\n`;
}

async function flush(pending: Array<[Writable, string]>): Promise<void> {
  for (const [sink, text] of pending.splice(0)) {
    if (!sink.write(text)) await new Promise((resolve) => sink.once('drain', resolve));
  }
}
