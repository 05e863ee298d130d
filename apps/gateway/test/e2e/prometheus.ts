// Reads a /metrics answer as a scraper would: every line checked against the text exposition format.

import type { StartedProcess } from '@acestream-proxy/test-utils';
import { expect } from '@jest/globals';

const META = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/;
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|Inf|\+Inf|NaN))$/;
const SUFFIXES = ['_bucket', '_sum', '_count'];

/** Samples by series (`name{labels}`), after checking every line is valid exposition format. */
export async function scrape(gw: StartedProcess | string): Promise<Map<string, number>> {
  const res = await fetch(`${typeof gw === 'string' ? gw : gw.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of (await res.text()).trimEnd().split('\n')) {
    if (line === '') continue;
    const meta = META.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const name = sample[1]!;
    // A histogram's series carry a suffix on the family's name.
    const suffix = SUFFIXES.find((s) => name.endsWith(s));
    const family = types.has(name) ? name : suffix ? name.slice(0, -suffix.length) : name;
    expect(types.has(family)).toBe(true);
    if (samples.has(`${name}${sample[2] ?? ''}`)) throw new Error(`series twice in one scrape: ${name}${sample[2] ?? ''}`);
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}

/** Sum of a family over its label sets. */
export function total(samples: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [series, value] of samples) if (series === name || series.startsWith(`${name}{`)) sum += value;
  return sum;
}
