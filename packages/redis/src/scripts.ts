// Lua scripts as files: each `<name>-<numberOfKeys>.lua` in a package's commands folder (`-N` when
// the caller passes the key count first, as EVAL does), defined once per connection and called by
// SHA from then on (ioredis falls back to EVAL on NOSCRIPT).

import { readFileSync } from 'node:fs';
import type { Redis } from './connect.js';

// biome-ignore lint/suspicious/noExplicitAny: a command's own signature is the caller's to state.
type Command = (...args: any[]) => Promise<unknown>;

interface Script {
  lua: string;
  /** Undefined for `-N`: the call's first argument says how many keys follow. */
  numberOfKeys?: number;
}

/** Scripts read so far, by file URL: each is read from disk once per process, however many connections define it. */
const read = new Map<string, Script>();

function script(dir: URL, file: string): Script {
  const url = new URL(`${file}.lua`, dir);
  let found = read.get(url.href);
  if (!found) {
    const count = /-(\d+|N)$/.exec(file)?.[1];
    if (count === undefined) {
      throw new Error(
        `Lua script "${file}" in ${dir.pathname}: name it <name>-<numberOfKeys>.lua (e.g. append-5.lua), or <name>-N.lua for a variable number`,
      );
    }
    const lua = readFileSync(url, 'utf8');
    found = count === 'N' ? { lua } : { lua, numberOfKeys: Number(count) };
    read.set(url.href, found);
  }
  return found;
}

/**
 * Defines on `redis` each command of `files` (command name → script file name in `dir`, without
 * `.lua`) that it does not have yet, and returns them bound to it, typed as `C` says:
 *
 *     const { aceRecordSegment } = defineScripts<{ aceRecordSegment: RecordCommand }>(
 *       redis, new URL('../src/commands/', import.meta.url), { aceRecordSegment: 'record-segment-3' });
 *
 * `dir` is the package's `src/commands/` seen from both `src/` (tests) and `dist/` (builds).
 */
export function defineScripts<C extends Record<string, Command>>(redis: Redis, dir: URL, files: { [K in keyof C]: string }): C {
  const commands = redis as unknown as Record<string, Command>;
  const bound: Record<string, Command> = {};
  for (const [name, file] of Object.entries<string>(files)) {
    if (!(name in redis)) redis.defineCommand(name, script(dir, file));
    bound[name] = commands[name]!.bind(redis);
  }
  return bound as C;
}
