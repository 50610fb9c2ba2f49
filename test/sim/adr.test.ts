import { describe, expect, it } from 'vitest';
import { Adr } from '../../src/sim/adr.js';
import { AdrSchema } from '../../src/sim/scenario-schema.js';

const config = AdrSchema.parse({ buffer: 5, step: 0.25, boundary_prob: 1, threshold_high: 0.8, threshold_low: 0.4 });

describe('ADR', () => {
  it('starts at nominal and widens every boundary while success stays high', () => {
    const adr = Adr.fresh({ friction: [0.5, 1.5], action_latency: [0, 2] }, config);
    expect(adr.range('friction')).toEqual([1, 1]);
    expect(adr.range('action_latency')).toEqual([0, 0]);
    expect(adr.range('object_mass')).toBeUndefined();
    for (let i = 0; i < 400; i++) {
      adr.beginEpisode();
      adr.endEpisode(true);
    }
    expect(adr.range('friction')).toEqual([0.5, 1.5]);
    expect(adr.range('action_latency')).toEqual([0, 2]);
    expect(adr.openFractions().friction).toBe(1);
    expect(adr.state.history.every((h) => h.move === 'widen')).toBe(true);
  });

  it('narrows a boundary back when success there drops', () => {
    const adr = Adr.fresh({ friction: [0.5, 1.5] }, { ...config, initial: 1 });
    for (let i = 0; i < 200; i++) {
      adr.beginEpisode();
      adr.endEpisode(false);
    }
    expect(adr.range('friction')).toEqual([1, 1]);
  });

  it('pins one parameter at a boundary for measured episodes', () => {
    const adr = Adr.fresh({ friction: [0.5, 1.5] }, { ...config, initial: 0.5 });
    adr.beginEpisode();
    const r = adr.range('friction')!;
    expect(r[0]).toBe(r[1]);
    expect([0.75, 1.25]).toContain(r[0]);
  });

  it('round-trips its state through JSON', () => {
    const adr = Adr.fresh({ friction: [0.5, 1.5] }, config);
    for (let i = 0; i < 20; i++) {
      adr.beginEpisode();
      adr.endEpisode(true);
    }
    const again = Adr.fromState(JSON.parse(JSON.stringify(adr.toJSON())));
    expect(again.range('friction')).toEqual(adr.range('friction'));
    expect(again.state.episodes).toBe(20);
  });
});
