import { EngineHealth } from '@acestream-proxy/engine';
import { waitFor } from '@acestream-proxy/test-utils';
import { afterEach, describe, expect, it } from '@jest/globals';

let health: EngineHealth | null = null;
afterEach(() => health?.close());

describe('EngineHealth', () => {
  it('keeps an engine down until its check answers, then brings it back', async () => {
    health = new EngineHealth({ retryMs: 20 });
    let answering = false;
    let checks = 0;
    const check = async () => {
      checks++;
      if (!answering) throw new Error('connect ECONNREFUSED');
    };
    health.markDown('10.0.0.1:6878', check);
    expect(health.isUp('10.0.0.1:6878')).toBe(false);
    expect(health.isUp('10.0.0.2:6878')).toBe(true);
    await waitFor(() => checks >= 3, { what: 'repeated checks' });
    expect(health.isUp('10.0.0.1:6878')).toBe(false);
    answering = true;
    await waitFor(() => health!.isUp('10.0.0.1:6878'), { what: 'the engine to come back' });
    expect(health.downIds()).toEqual([]);
  });

  it('forgets every engine when closed, and ignores engines marked down after that', () => {
    health = new EngineHealth({ retryMs: 60_000 });
    const check = () => Promise.reject(new Error('down'));
    health.markDown('a', check);
    health.markDown('a', check);
    health.markDown('b', check);
    expect(health.downIds().sort()).toEqual(['a', 'b']);
    health.close();
    expect(health.downIds()).toEqual([]);
    health.markDown('c', check);
    expect(health.isUp('c')).toBe(true);
  });
});
