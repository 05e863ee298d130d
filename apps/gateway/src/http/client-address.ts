// Who a request comes from: the socket's peer, or the client a trusted proxy names in
// X-Forwarded-For (TRUSTED_PROXIES), so per address limits apply to players, not to the load balancer.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';

export type TrustFunction = (address: string, hop: number) => boolean;

export interface ClientAddressPolicy {
  /** For Express's `trust proxy`, so its `req.ip` agrees with `of`. */
  trust: TrustFunction;
  /** The client's address: always a valid IP address (IPv4-mapped IPv6 written as IPv4). */
  of(req: IncomingMessage): string;
}

/** Peer addresses whose trust is remembered: far more than a deployment's balancers and players. */
const MAX_REMEMBERED_PEERS = 10_000;

/** `trustedProxies`: proxy-addr's list (range names such as `loopback`, addresses, CIDR blocks). */
export function clientAddressPolicy(trustedProxies: readonly string[]): ClientAddressPolicy {
  const trust = proxyaddr.compile([...trustedProxies]);
  // Whether each peer address is a trusted proxy: a gateway hears from a few load balancers or
  // from its players, and parsing the address for every join was ~4% of a join's CPU.
  const trustedPeers = new Map<string, boolean>();
  const isTrustedPeer = (peer: string) => {
    if (trustedProxies.length === 0) return false;
    let trusted = trustedPeers.get(peer);
    if (trusted === undefined) {
      if (trustedPeers.size >= MAX_REMEMBERED_PEERS) trustedPeers.clear();
      trusted = trust(peer, 0);
      trustedPeers.set(peer, trusted);
    }
    return trusted;
  };
  return {
    trust,
    of(req) {
      // A peer that is no trusted proxy is the client: X-Forwarded-For is not read at all (every
      // join asks, and proxy-addr's walk over the header was ~2% of a join's CPU).
      const peer = req.socket.remoteAddress;
      if (peer !== undefined && !isTrustedPeer(peer)) return normalise(peer) ?? '0.0.0.0';
      // The socket's peer first, then X-Forwarded-For from the right while each hop is trusted.
      // A hop that is not an address (a client's made-up header text passed along) ends the
      // walk at the last real address: no header text reaches a key name or a log as an address.
      const hops = proxyaddr.all(req, trust);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = normalise(hops[i]!);
        if (hop !== null) return hop;
      }
      return '0.0.0.0';
    },
  };
}

function normalise(address: string): string | null {
  if (isIP(address) === 0) return null;
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
