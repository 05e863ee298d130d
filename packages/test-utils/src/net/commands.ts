// Runs `ip`, `nft`, `tc` and `ss` (inside a namespace or not) and says why a net lab cannot start.

import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** The tools a net lab needs, and the Debian package that brings each. */
const TOOLS = { ip: 'iproute2', tc: 'iproute2', ss: 'iproute2', nft: 'nftables' } as const;
export type Tool = keyof typeof TOOLS;

// Root's PATH usually has /usr/sbin, a test runner's may not: look there too.
const SEARCH = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findTool(name: string): string | null {
  for (const dir of SEARCH) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

const paths = new Map<Tool, string | null>();
function toolPath(tool: Tool): string {
  if (!paths.has(tool)) paths.set(tool, findTool(tool));
  const file = paths.get(tool);
  if (!file) throw new Error(`net lab: \`${tool}\` not found; install it with: apt-get install -y ${TOOLS[tool]}`);
  return file;
}

/** The absolute path of `ip`, for spawning processes with `ip netns exec`. */
export function ipPath(): string {
  return toolPath('ip');
}

/**
 * Null when a net lab can start here; else why not, in words a skipped test can show: namespaces,
 * nftables and qdiscs need root and the Debian `iproute2` and `nftables` packages.
 */
export function netLabUnavailable(): string | null {
  if (process.platform !== 'linux') return `net lab needs Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'net lab needs root (network namespaces, nftables, tc)';
  const missing = (Object.keys(TOOLS) as Tool[]).filter((tool) => findTool(tool) === null);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => TOOLS[tool]))].join(' ');
    return `net lab needs ${missing.join(', ')}: apt-get install -y ${packages}`;
  }
  return null;
}

/**
 * `tool args...`, inside namespace `netns` when given, with `input` on its stdin (for
 * `ip -batch -`: one process for many commands); rejects with the tool's own words on failure.
 */
export function run(tool: Tool, args: string[], netns?: string, input?: string): Promise<string> {
  const [file, argv] = command(tool, args, netns);
  return new Promise((resolve, reject) => {
    const child = execFile(file, argv, { timeout: 10_000 }, (err, stdout, stderr) => {
      const what = `${[tool, ...args].join(' ')}${input ? ` <<< ${JSON.stringify(input)}` : ''}${netns ? ` (in ${netns})` : ''}`;
      if (err) reject(new Error(`${what}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    // A tool that exits without reading its stdin must not fail us with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Several `ip` commands (one a line, without `ip`) in namespace `netns`, in one process. */
export function ipBatch(netns: string, lines: string[]): Promise<string> {
  return run('ip', ['-n', netns, '-batch', '-'], undefined, lines.join('\n'));
}

/** The same, blocking: for teardown from a process 'exit' handler, where nothing async runs. */
export function runSync(tool: Tool, args: string[], netns?: string): string {
  const [file, argv] = command(tool, args, netns);
  return execFileSync(file, argv, { timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function command(tool: Tool, args: string[], netns?: string): [string, string[]] {
  if (netns === undefined) return [toolPath(tool), args];
  return [toolPath('ip'), ['netns', 'exec', netns, toolPath(tool), ...args]];
}
