// Starts a real child process (gateway, engine-sim) and waits for its JSON "listening" line.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface StartedProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  /** Every stdout/stderr line so far, for assertions and failure messages. */
  output: string[];
  /** Sends SIGTERM (or the given signal) and resolves on exit with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Node options before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses); node:cluster workers inherit them. */
  execArgv?: string[];
}

/** Runs `node <script>` from the repo root with PORT=0 and resolves once it reports its port. */
export function startNodeProcess(
  script: string,
  { env = {}, timeoutMs = 15_000, execArgv = [] }: StartOptions = {},
): Promise<StartedProcess> {
  const proc = spawn(process.execPath, [...execArgv, script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not report a port within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes('"listening"')) return;
      try {
        const parsed = JSON.parse(line) as { port?: number };
        if (typeof parsed.port !== 'number') return;
        clearTimeout(timer);
        resolve({
          proc,
          port: parsed.port,
          url: `http://127.0.0.1:${parsed.port}`,
          output,
          stop: async (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      } catch {
        // a log line that merely mentions "listening"
      }
    };
    splitLines(proc.stdout!, onLine);
    splitLines(proc.stderr!, onLine);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}
