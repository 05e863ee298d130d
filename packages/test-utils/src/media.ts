// ffmpeg/ffprobe helpers: make a real H.264/AAC sample and judge captures as a player would.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function tempDir(label = 'acestream-proxy'): string {
  return mkdtempSync(join(tmpdir(), `${label}-`));
}

/** Encodes a few seconds of test pattern + tone as MPEG-TS (keyframe every second). */
export async function makeSampleTs(dir: string, seconds = 4): Promise<string> {
  const out = join(dir, 'sample.ts');
  await run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-f', 'mpegts', out,
  ]);
  return out;
}

export interface ProbeResult {
  programs: Array<{ streams: Array<{ codec_type: string; codec_name?: string }> }>;
  streams: Array<{ codec_type: string; codec_name?: string }>;
  format?: { format_name: string };
}

/** Runs ffprobe on captured bytes; rejects when ffprobe does. */
export async function ffprobe(bytes: Buffer, dir = tempDir('ffprobe')): Promise<ProbeResult> {
  const file = join(dir, 'capture.ts');
  writeFileSync(file, bytes);
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_programs', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout) as ProbeResult;
}

/** Decodes captured bytes fully; returns ffmpeg's error output ('' means a clean decode). */
export async function decodeErrors(bytes: Buffer, dir = tempDir('decode')): Promise<string> {
  const file = join(dir, 'capture.ts');
  writeFileSync(file, bytes);
  try {
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    return stderr;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}
