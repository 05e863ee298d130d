// Which of this host's addresses a discovery request came in on (Node has no IP_PKTINFO).

import { networkInterfaces } from 'node:os';

function toInt(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

/**
 * The address to announce to `remote`: the bound address when the socket is bound to one;
 * else this host's IPv4 address on the same subnet as the asker; null when none is (a routed
 * request: the caller stays silent rather than guess an address the asker may not reach).
 */
export function localAddressFor(remote: string, bound: string): string | null {
  if (bound !== '0.0.0.0') return bound;
  const asker = toInt(remote);
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (iface.family !== 'IPv4') continue;
      const mask = toInt(iface.netmask);
      if ((toInt(iface.address) & mask) === (asker & mask)) return iface.address;
    }
  }
  return null;
}
