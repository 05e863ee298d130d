// `pnpm demo`: a simulated engine plus the gateway in embedded mode, ready for a player.
// With ffmpeg on PATH the engine loops a real encoded test pattern; otherwise it sends the
// synthetic stream (valid TS that players accept, but only its keyframes show a picture).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const enginePort = process.env.ENGINE_PORT ?? '6878';
const gatewayPort = process.env.PORT ?? '8000';
const children = [];

function sampleFile() {
  const out = join(mkdtempSync(join(tmpdir(), 'acestream-demo-')), 'demo.ts');
  try {
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=20'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=19.9'],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-b:v',
        '3M',
        '-g',
        '50',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-f',
        'mpegts',
        out,
      ],
    ]);
    return out;
  } catch {
    return null;
  }
}

function start(name, script, env) {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (data) => process.stdout.write(`[${name}] ${data}`));
  child.on('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? code})`);
    stop();
  });
  children.push(child);
}

function stop() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

const file = sampleFile();
const source = file ? { SOURCE: 'file', SOURCE_FILE: file } : {};
console.log(file ? `engine-sim loops ${file}` : 'ffmpeg not found: engine-sim sends its synthetic stream');
start('engine-sim', 'apps/engine-sim/dist/main.js', { PORT: enginePort, HOST: '127.0.0.1', ...source });
start('gateway', 'apps/gateway/dist/main.js', {
  PORT: gatewayPort,
  ENGINES: `127.0.0.1:${enginePort}`,
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
});
console.log(`\nOpen in a player:  http://127.0.0.1:${gatewayPort}/ace/getstream?id=0123456789abcdef0123456789abcdef01234567`);
console.log(`Status page:       http://127.0.0.1:${gatewayPort}/\n`);
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
