// Which workers accept from the shared listening socket (cluster/accept-balancer.ts): the primary's decisions.

import { describe, expect, it } from '@jest/globals';
import { AcceptBalancer } from '../src/cluster/accept-balancer.js';

function balancer(now?: () => number) {
  const told: string[] = [];
  const b = new AcceptBalancer<string>((worker, accept) => told.push(`${worker}:${accept ? 'listen' : 'pause'}`), now);
  return { b, told };
}

describe('the accept balancer', () => {
  it('lets every live worker accept while none is ready, so each holds and answers its own connections', () => {
    const { b, told } = balancer();
    b.report('a', 0);
    b.report('b', 3);
    // None ready: both may accept, the least loaded first (a worker that never gets ready
    // answers what it holds with a 503).
    expect(told).toEqual(['a:listen']);
    expect(b.isAccepting('b')).toBe(false);
    b.report('b', 0);
    expect(b.isAccepting('b')).toBe(true);
  });

  it('takes a worker that says it is ready before its first report', () => {
    const { b } = balancer();
    b.report('a', 0);
    b.ready('a');
    b.report('a', 1);
    b.ready('quick');
    expect(b.isAccepting('quick')).toBe(true);
    expect(b.isAccepting('a')).toBe(false);
    b.report('quick', 0);
    expect(b.isAccepting('quick')).toBe(true);
  });

  it('sends new players to a restarted worker until it has as many as the others', () => {
    const { b, told } = balancer();
    b.report('a', 0);
    b.ready('a');
    b.report('a', 2);
    b.report('restarted', 0);
    // Starting: the ready worker keeps accepting.
    expect(b.isAccepting('a')).toBe(true);
    expect(b.isAccepting('restarted')).toBe(false);
    told.length = 0;
    b.ready('restarted');
    expect(told).toEqual(['restarted:listen', 'a:pause']);
    b.report('restarted', 1);
    expect(b.isAccepting('a')).toBe(false);
    b.report('restarted', 2);
    expect(b.isAccepting('a')).toBe(true);
  });

  it('leaves a storm some slack so workers do not take turns closing their copies', () => {
    const { b, told } = balancer();
    for (const w of ['a', 'b']) {
      b.report(w, 0);
      b.ready(w);
    }
    b.report('a', 1000);
    b.report('b', 1090);
    expect(b.isAccepting('b')).toBe(true);
    b.report('b', 1101);
    expect(b.isAccepting('b')).toBe(false);
    // Paused, it starts again only once within half the margin.
    b.report('b', 1060);
    expect(b.isAccepting('b')).toBe(false);
    b.report('b', 1050);
    expect(b.isAccepting('b')).toBe(true);
    expect(told.filter((t) => t.startsWith('b:'))).toEqual(['b:listen', 'b:pause', 'b:listen']);
  });

  it("lets a worker be a turn's accepts ahead while connections pour in, not while they trickle", () => {
    let clock = 0;
    const { b } = balancer(() => clock);
    for (const w of ['a', 'b']) {
      b.report(w, 0);
      b.ready(w);
    }
    // A storm: 140 connections within 100 ms. 'a' is 60 ahead (10% of 'b' would allow 4).
    clock = 50;
    b.report('b', 40);
    clock = 100;
    b.report('a', 100);
    expect(b.isAccepting('a')).toBe(true);
    // More than a turn's accepts ahead: paused all the same.
    b.report('a', 110);
    expect(b.isAccepting('a')).toBe(false);
    // The same lead a second later, with nobody arriving: least connections again.
    clock = 2000;
    b.report('a', 100);
    expect(b.isAccepting('a')).toBe(false);
    b.report('a', 42);
    expect(b.isAccepting('a')).toBe(true);
  });

  it('lets the survivors take everything when a worker dies', () => {
    const { b } = balancer();
    for (const w of ['a', 'b']) {
      b.report(w, 0);
      b.ready(w);
    }
    b.report('a', 50);
    expect(b.isAccepting('a')).toBe(false);
    b.remove('b');
    expect(b.isAccepting('a')).toBe(true);
  });
});
