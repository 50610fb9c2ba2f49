/** Matching connection closes with their announcements (a bye, a deploy answer), in either order. */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseMatcher } from '../../src/bridge/close-matcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let reported: string[] = [];
let m: CloseMatcher;
afterEach(() => m?.dispose());

function matcher(graceMs = 60, cap?: number): CloseMatcher {
  reported = [];
  m = new CloseMatcher(graceMs, (a) => reported.push(a), cap);
  return m;
}

describe('CloseMatcher', () => {
  it('a close announced before or after it happens is normal; one never announced is reported after the grace', async () => {
    const c = matcher();
    c.announce();
    c.closed('a'); // announced first
    c.closed('b');
    c.announce(); // announced second, within the grace
    c.closed('c'); // never announced
    await sleep(150);
    expect(reported).toEqual(['c']);
  });

  it('an announcement expires: a close after the grace is reported', async () => {
    const c = matcher(40);
    c.announce();
    await sleep(100);
    c.closed('late');
    await sleep(100);
    expect(reported).toEqual(['late']);
  });

  it('keeps at most `cap` announcements, so announcing peers that stay connected cannot hide many drops', async () => {
    const c = matcher(1000, 3);
    for (let i = 0; i < 100; i++) c.announce();
    for (const a of ['1', '2', '3', '4', '5']) c.closed(a);
    await sleep(1100);
    expect(reported).toEqual(['4', '5']);
  });

  it('dispose cancels pending reports', async () => {
    const c = matcher(30);
    c.closed('x');
    c.dispose();
    await sleep(80);
    expect(reported).toEqual([]);
  });
});
