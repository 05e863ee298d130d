// What a newcomer reads when the gateway cannot listen: one line naming PORT/HOST and what to do.

import type { ProxyConfig } from '@acestream-proxy/config';

/** One line for stderr: the variable, its value, what went wrong and the fix. */
export function listenErrorMessage(err: NodeJS.ErrnoException, config: Pick<ProxyConfig, 'port' | 'host'>): string {
  const where = `PORT=${config.port} on HOST=${config.host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `Cannot listen: ${where} is already in use by another process; stop it or set PORT to a free port`;
    case 'EACCES':
      return `Cannot listen: ${where} needs privileges this process does not have; set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen: HOST=${config.host} is not an address of this machine; set HOST to one (0.0.0.0 for all)`;
    default:
      return `Cannot listen on ${where}: ${err.message}`;
  }
}

/** Prints the one line and exits with status 1 (the process cannot do its job). */
export function exitOnListenError(err: NodeJS.ErrnoException, config: Pick<ProxyConfig, 'port' | 'host'>): never {
  process.stderr.write(`${listenErrorMessage(err, config)}\n`);
  process.exit(1);
}
