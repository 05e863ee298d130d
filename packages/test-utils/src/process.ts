// Starts a real child process (gateway, engine-sim) and waits for its JSON "listening" line.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ipPath } from './net/commands.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface StartedProcess {
  proc: ChildProcess;
  port: number;
  /** Where the test reaches it: 127.0.0.1, or a portal into its net lab host. */
  url: string;
  /** Where other processes reach it: `http://127.0.0.1:<port>`, or its net lab host's address. */
  peerUrl: string;
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
  /** Runs it inside a net lab host (`ip netns exec`) instead of the test's own network namespace. */
  host?: ProcessHost;
}

/**
 * A net lab host as the process starters see it: its namespace, its address (the process's
 * HOST), and a way for the test, which stays in its own namespace, to reach a port there.
 */
export interface ProcessHost {
  netns: string;
  address: string;
  portal?(port: number): Promise<Portal>;
  /** Has the lab's teardown run `stop` too: for what the test's process holds (a client, a temp dir). */
  own?(stop: () => Promise<unknown>): void;
}

/** A 127.0.0.1 port in the test's namespace that reaches a port inside a net lab host. */
export interface Portal {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Runs `node <script>` from the repo root with PORT=0 and resolves once it reports its port. */
export function startNodeProcess(
  script: string,
  { env = {}, timeoutMs = 15_000, execArgv = [], host }: StartOptions = {},
): Promise<StartedProcess> {
  const node = [process.execPath, ...execArgv, script];
  const [file, ...args] = host ? [ipPath(), 'netns', 'exec', host.netns, ...node] : node;
  const address = host?.address ?? '127.0.0.1';
  const proc = spawn(file!, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: address, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not report a port within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    const listening = async (port: number) => {
      const portal = await host?.portal?.(port);
      const peerUrl = `http://${address}:${port}`;
      return {
        proc,
        port,
        url: portal?.url ?? peerUrl,
        peerUrl,
        output,
        stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          await portal?.close();
          return exited;
        },
      };
    };
    let reported = false;
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes('"listening"')) return;
      let port: unknown;
      try {
        port = (JSON.parse(line) as { port?: unknown }).port;
      } catch {
        return; // a log line that merely mentions "listening"
      }
      // Only the first report counts (node:cluster workers may each print one).
      if (typeof port !== 'number' || reported) return;
      reported = true;
      clearTimeout(timer);
      listening(port).then(resolve, (err: Error) => {
        proc.kill('SIGKILL');
        reject(err);
      });
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
