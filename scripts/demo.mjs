// `pnpm demo`: a simulated engine plus the gateway in embedded mode, ready for a player.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const enginePort = process.env.ENGINE_PORT ?? '6878';
const gatewayPort = process.env.PORT ?? '8000';
const children = [];

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

start('engine-sim', 'apps/engine-sim/dist/main.js', { PORT: enginePort, HOST: '127.0.0.1' });
start('gateway', 'apps/gateway/dist/main.js', {
  PORT: gatewayPort,
  ENGINES: `127.0.0.1:${enginePort}`,
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
});
console.log(
  `\nOpen in a player:  http://127.0.0.1:${gatewayPort}/ace/getstream?id=${'0123456789abcdef'.repeat(3).slice(0, 40)}\n`,
);
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
