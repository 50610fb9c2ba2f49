import { describe, expect, it } from 'vitest';
import { Box } from '../../src/sim/spaces.js';
import { Rng } from '../../src/sim/rng.js';
import { bounds, contractMismatch, offsetOf, type Contract } from '../../src/sim/contract.js';

describe('Box', () => {
  it('contains what it samples and rejects wrong length, NaN and out-of-range', () => {
    const box = new Box([-1, 0, 5], [1, 2, 6]);
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) expect(box.contains(box.sample(rng))).toBe(true);
    expect(box.contains([0, 1])).toBe(false);
    expect(box.contains([0, NaN, 5.5])).toBe(false);
    expect(box.contains([0, 3, 5.5])).toBe(false);
    expect(box.contains([-1, 0, 5])).toBe(true);
  });

  it('refuses inverted bounds', () => {
    expect(() => new Box([1], [0])).toThrow(/low/);
  });
});

describe('contract', () => {
  const c: Contract = {
    obs: [
      { name: 'pos', size: 3, unit: 'm', low: -1, high: 1 },
      { name: 'vel', size: 2, unit: 'm/s', low: [-2, -3], high: [2, 3] },
    ],
    action: [{ name: 'cmd', size: 2, unit: 'rad/s', low: -5, high: 5 }],
  };

  it('flattens bounds and finds offsets', () => {
    const b = bounds(c.obs);
    expect(Array.from(b.low)).toEqual([-1, -1, -1, -2, -3]);
    expect(Array.from(b.high)).toEqual([1, 1, 1, 2, 3]);
    expect(offsetOf(c.obs, 'vel')).toBe(3);
    expect(() => offsetOf(c.obs, 'nope')).toThrow(/nope/);
  });

  it('names the first differing component', () => {
    expect(contractMismatch(c, structuredClone(c))).toBeNull();
    const unit = structuredClone(c);
    unit.obs[1].unit = 'mm/s';
    expect(contractMismatch(c, unit)).toMatch(/obs\.vel: expected unit "m\/s", got "mm\/s"/);
    const order = structuredClone(c);
    order.obs.reverse();
    expect(contractMismatch(c, order)).toMatch(/obs\[0\]: expected component "pos", got "vel"/);
    const range = structuredClone(c);
    range.action[0].high = 4;
    expect(contractMismatch(c, range)).toMatch(/action\.cmd: expected range/);
    const missing = structuredClone(c);
    missing.obs.pop();
    expect(contractMismatch(c, missing)).toMatch(/obs\[1\]: missing component vel/);
  });
});
