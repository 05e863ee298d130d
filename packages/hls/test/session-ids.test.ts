// Session tokens: issued for one stream, recognised on any worker with the same key, refused otherwise (also once remembered).

import { parseStreamId } from '@acestream-proxy/keys';
import { describe, expect, it } from '@jest/globals';
import { BadHlsRequestError, HlsSessionIds } from '../src/index.js';

const A = parseStreamId('a'.repeat(40));
const B = parseStreamId('b'.repeat(40));

describe('HlsSessionIds', () => {
  it('gives the session back for its own token, again and again, and refuses it for another stream or tampered', () => {
    const ids = new HlsSessionIds(() => Buffer.from('key one'));
    const { session, token } = ids.issue(A);
    expect(ids.verify(A, token)).toBe(session);
    expect(ids.verify(A, token)).toBe(session);
    expect(() => ids.verify(B, token)).toThrow(BadHlsRequestError);
    const tampered = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
    expect(() => ids.verify(A, tampered)).toThrow(BadHlsRequestError);
    expect(() => ids.verify(A, ['not', 'a', 'string'])).toThrow(BadHlsRequestError);
  });

  it('refuses a remembered token once the key is replaced, and takes it on another instance with the same key', () => {
    let key = Buffer.from('key one');
    const ids = new HlsSessionIds(() => key);
    const { session, token } = ids.issue(A);
    expect(ids.verify(A, token)).toBe(session);
    expect(new HlsSessionIds(() => Buffer.from('key one')).verify(A, token)).toBe(session);
    key = Buffer.from('key two');
    expect(() => ids.verify(A, token)).toThrow(BadHlsRequestError);
  });
});
