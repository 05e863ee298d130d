// Names and subnets of net labs, and the sweep that removes what dead runs left behind.

import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runSync } from './commands.js';

/**
 * Every name a lab makes starts with `acp-<pid>-<token>`: the token keeps parallel labs apart,
 * the pid tells a later run whether the lab's owner is still alive (see `sweepDeadLabs`).
 */
export const LAB_PREFIX = 'acp-';
const LAB_NAME = /^acp-(\d+)-([0-9a-f]{6})(?:-|$)/;

export interface LabNames {
  /** `acp-<pid>-<token>`: the start of every namespace name and of the lab's temp directory. */
  id: string;
  /** Six hex digits, unique per lab; also in the root-side names a check looks for. */
  token: string;
  /** The namespace that holds the bridge (no addresses: a switch, not a host). */
  switchNs: string;
  /** The lab's /24, e.g. `10.213.7` (hosts are `.1`, `.2`, ...). */
  subnet: string;
  /** A directory for the lab's Unix sockets (the portals from the test's own namespace). */
  dir: string;
}

let labs = 0;

export function labNames(): LabNames {
  const token = randomBytes(3).toString('hex');
  const id = `${LAB_PREFIX}${process.pid}-${token}`;
  // Hosts only ever see their own lab's bridge, so equal subnets in two labs could not meet;
  // distinct ones still keep addresses in logs and failure messages telling the labs apart.
  const subnet = `10.${200 + (process.pid % 50)}.${labs++ % 256}`;
  return { id, token, switchNs: `${id}-sw`, subnet, dir: join(tmpdir(), id) };
}

export function hostNs(names: LabNames, host: string): string {
  return `${names.id}-h-${host}`;
}

/** Names in `ip netns list` (its lines are `name` or `name (id: N)`). */
export async function namespaces(): Promise<string[]> {
  return parseNetnsList(await run('ip', ['netns', 'list']));
}

export function parseNetnsList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

function ownerAlive(name: string): boolean {
  const match = LAB_NAME.exec(name);
  if (!match) return true; // not a lab's: never touched
  try {
    process.kill(Number(match[1]), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills what runs in each namespace and deletes it (blocking: it also runs from an exit handler). */
export function destroyNamespacesSync(names: string[]): void {
  for (const ns of names) {
    for (const pid of pidsInSync(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of names) {
    try {
      runSync('ip', ['netns', 'delete', ns]);
    } catch {
      // already deleted
    }
  }
}

export function pidsInSync(ns: string): number[] {
  try {
    return runSync('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes the namespaces and temp directories of labs whose process died without tearing down
 * (SIGKILL, a crashed runner). Labs of live processes (parallel test files) are left alone.
 */
export async function sweepDeadLabs(): Promise<string[]> {
  const dead = (await namespaces()).filter((ns) => LAB_NAME.test(ns) && !ownerAlive(ns));
  destroyNamespacesSync(dead);
  for (const entry of readdirSync(tmpdir())) {
    if (LAB_NAME.test(entry) && !ownerAlive(entry)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  return dead;
}
