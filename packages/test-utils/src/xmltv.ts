// Test guides: a generated XMLTV guide of any size, and xmltv-util's validator (issue 22).

import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';

/** tv_validate_file on `file`; rejects with its output. It reads the DTD Debian installs, instead of fetching it from xmltv.org. */
export async function validateXmltv(file: string): Promise<void> {
  await promisify(execFile)('tv_validate_file', [file], { env: { ...process.env, XMLTV_SUPPLEMENT: '/usr/share/xmltv' } }).catch(
    (err: { code: number; stdout: string; stderr: string }) => {
      throw new Error(`tv_validate_file failed (${err.code}): ${err.stdout}${err.stderr}`);
    },
  );
}

/**
 * `channels` channels (ids `src.<n>`, named `Channel <n>`), then half-hour programmes from `start`
 * (epoch ms; 2030 by default, outside any "now") until `bytes` is reached.
 */
export async function writeXmltvGuide(
  path: string,
  channels: number,
  bytes: number,
  start = Date.UTC(2030, 0, 1),
): Promise<void> {
  const gz = path.endsWith('.gz');
  const file = createWriteStream(path);
  const target: Writable = gz ? createGzip() : file;
  const done = gz
    ? pipeline(target as ReturnType<typeof createGzip>, file)
    : new Promise<void>((r) => file.on('finish', () => r()));
  let written = 0;
  const put = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!target.write(text)) await new Promise((resolve) => target.once('drain', resolve));
  };
  await put('<?xml version="1.0" encoding="UTF-8"?>\n<tv source-info-name="generated">\n');
  for (let c = 0; c < channels; c++) {
    await put(
      `<channel id="src.${c}"><display-name lang="en">Channel ${c}</display-name><icon src="http://logo.example/${c}.png"/></channel>\n`,
    );
  }
  for (let slot = 0; written < bytes; slot++) {
    const from = new Date(start + slot * 1800_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const to = new Date(start + (slot + 1) * 1800_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    for (let c = 0; c < channels && written < bytes; c++) {
      await put(
        `<programme start="${from} +0000" stop="${to} +0000" channel="src.${c}"><title lang="en">Show ${slot} &amp; friends on ${c}</title><desc lang="en">${'A long description. '.repeat(8)}</desc><category lang="en">News</category></programme>\n`,
      );
    }
  }
  await put('</tv>\n');
  target.end();
  await done;
}
