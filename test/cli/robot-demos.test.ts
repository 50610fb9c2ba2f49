/** `sim2real robot demos`: teleoperated demonstrations on the emulated robot, labelled for fine-tuning. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEpisodes } from '../../src/episodes/reader.js';
import { sim2real } from './helpers.js';

const SCENARIO = 'scenarios/grasp-cube.yaml';
const REALITY = 'scenarios/reality/grasp-cube.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-robot-demos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim2real robot demos', () => {
  it('records the operator driving the emulated robot: source real, its action as every step label; a second run into the same file is refused', async () => {
    const out = join(dir, 'real');
    const r = await sim2real([
      'robot',
      'demos',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--out',
      out,
      '--episodes',
      '3',
      '--seed',
      '7',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({ episodes: 3, mode: 'expert', driver: 'expert:grasp', reality: 'grasp-cube-real' });
    for (const k of ['successRate', 'successCi95', 'meanReturn', 'meanLength']) expect(rep).toHaveProperty(k);
    const { episodes } = await readEpisodes(out);
    expect(episodes.map((e) => e.start.seed)).toEqual([7, 8, 9]);
    const steps = episodes.reduce((n, e) => n + e.steps.length, 0);
    expect(steps).toBe(rep.steps);
    for (const e of episodes) {
      expect(e.start).toMatchObject({ source: 'real', scenario: 'grasp-cube', policyId: 'expert:grasp' });
      // The expert drives without noise: the label is what was sent.
      for (const s of e.steps) expect(Array.from(s.expertAction!)).toEqual(Array.from(s.action));
    }

    const again = await sim2real([
      'robot',
      'demos',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--out',
      out,
      '--episodes',
      '3',
      '--seed',
      '7',
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^sim2real: error: .*seed7\.mcap: expected a new file, got an existing one/);
  });

  it('refuses --mode dagger without a policy to drive, and a bad --mode (exit 2, one line)', async () => {
    const d = await sim2real([
      'robot',
      'demos',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--out',
      join(dir, 'd'),
      '--mode',
      'dagger',
    ]);
    expect(d.code).toBe(2);
    expect(d.stderr.trim()).toBe('sim2real: error: --policy: expected it with --mode dagger, and only then');
    const m = await sim2real([
      'robot',
      'demos',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--out',
      join(dir, 'm'),
      '--mode',
      'teleop',
    ]);
    expect(m.code).toBe(2);
    expect(m.stderr.trim()).toBe('sim2real: error: --mode: expected expert | dagger, got "teleop"');
  });
});
