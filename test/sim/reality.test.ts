import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReality, makeRealEnv, parseReality, realityRanges } from '../../src/sim/reality.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadRapier } from '../../src/sim/rapier.js';
import { InputError } from '../../src/errors.js';

const profiles = readdirSync('scenarios/reality').map((f) => `scenarios/reality/${f}`);

describe('reality profiles', () => {
  it.each(profiles)('%s loads and builds the real env of its scenario', async (file) => {
    const reality = loadReality(file);
    const sc = loadScenario(`scenarios/${reality.scenario}.yaml`);
    const env = await makeRealEnv(await loadRapier(), sc, reality);
    const r = env.reset({ seed: 1 });
    // Fixed gap values are applied exactly and logged with the episode.
    for (const [k, v] of Object.entries(reality.gap)) {
      if (typeof v !== 'number') continue;
      const logged = k in r.info.physics ? r.info.physics[k as keyof typeof r.info.physics] : r.info.randomization[k];
      expect(logged, k).toBeCloseTo(k === 'action_latency' || k === 'obs_delay' ? Math.floor(v) : v, 6);
    }
    env.close();
  });

  it('turns fixed values into degenerate ranges and keeps ranges', () => {
    const r = parseReality('name: x\nscenario: s\ngap: {friction: 0.5, object_size: [0.8, 0.9]}\n', 'x.yaml');
    expect(realityRanges(r)).toEqual({ friction: [0.5, 0.5], object_size: [0.8, 0.9] });
  });

  it('rejects bad profiles with file:field: expected X, got Y', () => {
    const bad = (text: string) => {
      try {
        parseReality(text, 'r.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('name: x\nscenario: s\ngap: {friction: slippery}\n')).toMatch(/^r\.yaml:gap\.friction: expected/);
    expect(bad('name: x\nscenario: s\ngap: {wheel_wobble: 1}\n')).toMatch(
      /^r\.yaml:gap\.wheel_wobble: expected no such field/,
    );
    expect(bad('name: x\nscenario: s\ngap: {friction: [2, 1]}\n')).toMatch(
      /^r\.yaml:gap\.friction: expected \[lo, hi\] with lo <= hi/,
    );
  });

  it('refuses a profile made for another scenario', async () => {
    const reality = loadReality('scenarios/reality/grasp-cube.yaml');
    const sc = loadScenario('scenarios/navigate-obstacles.yaml');
    await expect(makeRealEnv({} as never, sc, reality, { file: 'g.yaml' })).rejects.toThrow(
      /^g\.yaml:scenario: expected "navigate-obstacles"/,
    );
  });
});
