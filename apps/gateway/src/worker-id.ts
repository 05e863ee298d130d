// How a gateway process is named in logs and Redis records.

import { hostname } from 'node:os';

/** `<hostname>:<pid>`. */
export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}
