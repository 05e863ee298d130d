// SCAN in any mode: one server's keyspace, or, on a cluster, every master's (each holds only its
// slots' keys) — just the one master owning the pattern's hash tag when it has one.

import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { Redis } from './connect.js';

/** Yields batches of key names matching `pattern` (a key may repeat, as SCAN allows). */
export async function* scanKeys(redis: Redis, pattern: string, count = 500): AsyncGenerator<string[]> {
  for (const node of scanTargets(redis, pattern)) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (found.length > 0) yield found;
    } while (cursor !== '0');
  }
}

function scanTargets(redis: Redis, pattern: string): Redis[] {
  if (!(redis instanceof Cluster)) return [redis];
  const masters = redis.nodes('master');
  const tag = /\{([^}]+)\}/.exec(pattern)?.[1];
  // A tag without glob characters names one slot.
  if (tag && !/[*?[\\]/.test(tag)) {
    const owner = redis.slots[calculateSlot(tag)]?.[0];
    const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (node) return [node];
  }
  return masters;
}
