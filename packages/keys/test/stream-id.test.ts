import { BadStreamIdError, Keys, parseStreamId } from '@acestream-proxy/keys';
import { describe, expect, it } from '@jest/globals';

const good = 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678';

describe('parseStreamId', () => {
  it('accepts 40 hex characters in any case and lower-cases them', () => {
    expect(parseStreamId(good)).toBe(good.toLowerCase());
  });

  it.each([
    ['empty', ''],
    ['39 chars', good.slice(1)],
    ['41 chars', `${good}0`],
    ['non-hex', `${good.slice(1)}g`],
    ['glob', '*'],
    ['CRLF', `${good.slice(2)}\r\n`],
    ['10 KB', 'a'.repeat(10_240)],
    ['a key separator', `${good.slice(1)}:`],
  ])('rejects %s', (_name, value) => {
    expect(() => parseStreamId(value)).toThrow(BadStreamIdError);
  });

  it('keeps the error message short for huge input', () => {
    try {
      parseStreamId('x'.repeat(10_240));
      throw new Error('expected a rejection');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(200);
      expect((err as Error).message).toContain('10240 characters');
    }
  });

  it('rejects non-string input', () => {
    expect(() => parseStreamId(undefined)).toThrow(BadStreamIdError);
    expect(() => parseStreamId({})).toThrow(BadStreamIdError);
  });
});

describe('Keys', () => {
  it('builds the operator-visible names of DESIGN §4', () => {
    const keys = new Keys();
    const id = parseStreamId(good);
    expect(keys.clients(id)).toBe(`ace_proxy:stream:${id}:clients`);
    expect(keys.metadata(id)).toBe(`ace_proxy:stream:${id}:metadata`);
    expect(keys.bufferIndex(id)).toBe(`ace_proxy:stream:${id}:buffer:index`);
    expect(keys.chunk(id, 7)).toBe(`ace_proxy:stream:${id}:buffer:chunk:7`);
    expect(keys.eventsChannel(id)).toBe(`ace_proxy:events:${id}`);
    expect(keys.streamIdOf(keys.chunksChannel(id))).toBe(id);
  });
});
