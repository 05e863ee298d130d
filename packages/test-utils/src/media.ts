// ffmpeg/ffprobe helpers: make a real H.264/AAC sample and judge captures as a player would.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function tempDir(label = 'acestream-proxy'): string {
  return mkdtempSync(join(tmpdir(), `${label}-`));
}

/**
 * Encodes a few seconds of test pattern + tone as MPEG-TS (keyframe every second). The tone
 * ends a little before the picture, as engine-sim's file source needs to loop without overlap.
 */
export async function makeSampleTs(
  dir: string,
  seconds = 4,
  { size = '320x240', qp }: { size?: string; qp?: number } = {},
): Promise<string> {
  const out = join(dir, `sample-${size}-${qp ?? 'auto'}.ts`);
  const video = `testsrc2=size=${size}:rate=25:duration=${seconds}`;
  const audio = `sine=frequency=440:duration=${seconds - 0.1}`;
  // A low qp makes a heavy stream, for tests that must fill socket buffers quickly.
  const quality = qp === undefined ? [] : ['-qp', String(qp)];
  const encode = ['-c:v', 'libx264', '-preset', 'ultrafast', ...quality, '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac'];
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    video,
    '-f',
    'lavfi',
    '-i',
    audio,
    ...encode,
    '-f',
    'mpegts',
    out,
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
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_programs',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    file,
  ]);
  return JSON.parse(stdout) as ProbeResult;
}

/** Decodes captured bytes fully; returns ffmpeg's error output ('' means a clean decode). */
/**
 * The capture up to its last video PES start: a player that is switched off mid-frame leaves a
 * truncated last frame, which says nothing about the stream.
 */
export function completeFrames(bytes: Buffer): Buffer {
  for (let off = Math.floor(bytes.length / 188) * 188 - 188; off >= 0; off -= 188) {
    if (bytes[off] !== 0x47 || !(bytes[off + 1]! & 0x40) || !(bytes[off + 3]! & 0x10)) continue;
    const p = bytes[off + 3]! & 0x20 ? off + 5 + bytes[off + 4]! : off + 4;
    const videoPes = bytes[p] === 0 && bytes[p + 1] === 0 && bytes[p + 2] === 1 && (bytes[p + 3]! & 0xf0) === 0xe0;
    if (videoPes) return bytes.subarray(0, off);
  }
  return bytes;
}

/** Decodes captured bytes fully (complete frames); returns ffmpeg's error output ('' = clean). */
export async function decodeErrors(bytes: Buffer, dir = tempDir('decode')): Promise<string> {
  const file = join(dir, 'capture.ts');
  writeFileSync(file, completeFrames(bytes));
  try {
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    return stderr;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

/** The scratch user VLC runs as: VLC refuses to run as root (.ci/run creates it). */
export const VLC_USER = 'acevlc';

/**
 * Plays `url` (a playlist, whose first entry VLC opens, or a stream) in VLC for `seconds`, as
 * the scratch user, and resolves with what VLC received, written out as MPEG-TS: a test judges
 * it with ffprobe as a player would.
 */
export async function vlcRecord(url: string, { seconds = 4, timeoutMs = 40_000 } = {}): Promise<Buffer> {
  await run('id', [VLC_USER]).catch(() => {
    throw new Error(`no user ${VLC_USER} to run VLC as: run .ci/run, or useradd --system ${VLC_USER}`);
  });
  const dir = tempDir('vlc');
  chmodSync(dir, 0o777);
  const out = join(dir, 'vlc.ts');
  const vlc = ['cvlc', '-I', 'dummy', '--play-and-exit', '--run-time', String(seconds), url];
  await run('runuser', ['-u', VLC_USER, '--', ...vlc, '--sout', `#std{access=file,mux=ts,dst=${out}}`], {
    timeout: timeoutMs,
    env: { ...process.env, HOME: dir },
  });
  return readFileSync(out);
}
