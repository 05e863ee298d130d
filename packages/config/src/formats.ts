// Value checks for the config schema: each says, in words a user can act on, what is allowed.

import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { EngineAddress } from './types.js';

/** A check returns the parsed value, or throws a string saying what is allowed. */
export type Check<T> = (raw: string) => T;

export function integer(min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): Check<number> {
  const suffix = unit ? ` ${unit}` : '';
  return (raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      throw max === Number.MAX_SAFE_INTEGER
        ? `must be a whole number${suffix} of at least ${min}`
        : `must be a whole number${suffix} from ${min} to ${max}`;
    }
    return value;
  };
}

/** A whole number, or `auto` for a value the process works out at start. */
export function integerOrAuto(min: number): Check<number | 'auto'> {
  const whole = integer(min);
  return (raw) => {
    if (raw.trim().toLowerCase() === 'auto') return 'auto';
    try {
      return whole(raw);
    } catch {
      throw `must be auto or a whole number of at least ${min}`;
    }
  };
}

export function decimal(min: number, { exclusive = false, unit = '' } = {}): Check<number> {
  const suffix = unit ? ` ${unit}` : '';
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || (exclusive ? value <= min : value < min)) {
      throw `must be a number${suffix} ${exclusive ? 'greater than' : 'of at least'} ${min}`;
    }
    return value;
  };
}

export function oneOf<T extends string>(allowed: readonly T[]): Check<T> {
  return (raw) => {
    if (!allowed.includes(raw as T)) throw `must be one of ${allowed.join(', ')}`;
    return raw as T;
  };
}

export function pattern(re: RegExp, description: string): Check<string> {
  return (raw) => {
    if (!re.test(raw)) throw `must be ${description}`;
    return raw;
  };
}

export function url(protocols: readonly string[]): Check<string> {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw `must be a URL starting with ${protocols.join(' or ')}`;
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, '://'))) throw `must be a URL starting with ${protocols.join(' or ')}`;
    return raw;
  };
}

export function engineList(raw: string): EngineAddress[] {
  return hostPortList('engine', 'engines')(raw);
}

/** A comma-separated host:port list; `one`/`many` name the things listed in the message. */
export function hostPortList(one: string, many: string): Check<EngineAddress[]> {
  return (raw) => {
    const entries = raw
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    if (entries.length === 0) throw `must list at least one ${one} as host:port[,host:port...]`;
    return entries.map((entry) => {
      const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        throw `must list ${many} as host:port[,host:port...] (port 1-65535); "${entry}" is not`;
      }
      return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
    });
  };
}

/** ALLOWED_HOSTS: host names or addresses, each with or without a port, kept in lower case. */
export function hostList(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (entries.length === 0) throw 'must list at least one host as name[:port][,name[:port]...]';
  for (const entry of entries) {
    if (!/^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/.test(entry)) {
      throw `must list hosts as name[:port][,name[:port]...], e.g. tv.example.com,192.168.1.10:8000; "${entry}" is not one`;
    }
  }
  return entries;
}

export function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw 'must be true or false (also 1/0, yes/no, on/off)';
}

/** PLAYLIST_SOURCES: http(s) URLs and file paths (or file:// URLs), comma-separated. */
export function playlistSources(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw 'must list at least one http(s) URL or file path, comma-separated';
  for (const entry of entries) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(entry)?.[1]?.toLowerCase();
    if (scheme === undefined) continue;
    if (!['http', 'https', 'file'].includes(scheme)) {
      throw `must list http(s) URLs or file paths, comma-separated; "${entry}" is neither`;
    }
    try {
      new URL(entry);
    } catch {
      throw `must list http(s) URLs or file paths, comma-separated; "${entry}" is not a valid URL`;
    }
  }
  return entries;
}

/** PUBLIC_URL: where players reach the proxy; kept without a trailing slash. */
export function publicUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw 'must be an http(s) URL such as https://tv.example.com or http://192.168.1.10:8000';
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.search || parsed.hash) {
    throw 'must be an http(s) URL without query or fragment, such as https://tv.example.com/ace-proxy';
  }
  return raw.replace(/\/+$/, '');
}

/** proxy-addr's names for address ranges, accepted in TRUSTED_PROXIES beside addresses and CIDRs. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUSTED_PROXIES: range names, IP addresses and CIDR blocks, comma-separated. */
export function proxyList(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const allowed = `range names (${RANGE_NAMES.join(', ')}), IP addresses or CIDR blocks (10.0.0.0/8, fd00::/8), comma-separated`;
  if (entries.length === 0) throw `must list ${allowed}`;
  for (const entry of entries) {
    if (RANGE_NAMES.includes(entry)) continue;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !validBits || rest.length > 0) throw `must list ${allowed}; "${entry}" is none of them`;
  }
  return entries;
}

/** A secret: long enough to resist guessing; its value never appears in a message. */
export function secret(minLength: number): Check<string> {
  return (raw) => {
    if (raw.length < minLength || /\s/.test(raw)) {
      throw `must be at least ${minLength} characters without spaces (e.g. the output of \`openssl rand -hex 32\`)`;
    }
    return raw;
  };
}

/** A path to a file this process can read (checked at start, so a typo fails then, not at the first seed). */
export function readableFile(raw: string): string {
  try {
    if (!statSync(raw).isFile()) throw new Error('not a file');
    accessSync(raw, constants.R_OK);
  } catch {
    throw 'must be the path of a readable file';
  }
  return raw;
}
