// Who a request comes from: the peer, or what trusted proxies forward (TRUSTED_PROXIES).

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { clientAddressPolicy } from '../src/http/client-address.js';

const request = (peer: string, forwarded?: string) => {
  const socket = { remoteAddress: peer };
  return { socket, connection: socket, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} } as unknown as IncomingMessage;
};

describe('client address', () => {
  it('is the peer when the peer is no trusted proxy, whatever it forwards', () => {
    const none = clientAddressPolicy([]);
    expect(none.of(request('::ffff:198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
    const loopback = clientAddressPolicy(['loopback']);
    expect(loopback.of(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('walks X-Forwarded-For from the right while each hop is trusted', () => {
    const policy = clientAddressPolicy(['loopback', '10.0.0.0/8']);
    expect(policy.of(request('127.0.0.1', '203.0.113.7, 10.1.2.3'))).toBe('203.0.113.7');
    expect(policy.of(request('127.0.0.1', '203.0.113.7, 198.51.100.9'))).toBe('198.51.100.9');
    // Header text that is no address ends the walk at the last real one.
    expect(policy.of(request('127.0.0.1', 'not-an-address'))).toBe('127.0.0.1');
  });
});
