/** estimateLoopDelay() and `episodes latency`: the control-loop delay read back from episodes recorded on emulated robots whose delays we set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadReality, parseReality } from '../../src/sim/reality.js';
import { recordRealDemos } from '../../src/collect/real-demos.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { estimateLoopDelay } from '../../src/episodes/loop-delay.js';
import { registerEpisodes } from '../../src/cli/episodes.js';
import { InputError } from '../../src/errors.js';

const nav = loadScenario('scenarios/navigate-obstacles.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sim2real-loop-delay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Expert episodes (with DART noise, as a user exciting the robot would) on the shipped navigate robot
 * with its delays replaced, exactly: without its control-period jitter (which blurs the delay by a
 * substep now and then, and with it the margin asserted below).
 */
async function record(name: string, actionLatency: number, obsDelay: number, episodes = 12): Promise<string> {
  const shipped = loadReality('scenarios/reality/navigate-obstacles.yaml');
  const reality = parseReality(
    JSON.stringify({
      ...shipped,
      gap: { ...shipped.gap, action_latency: actionLatency, obs_delay: obsDelay },
      timing: { jitter_ms: 0 },
    }),
    `${name}.yaml`,
  );
  const out = join(dir, name);
  await recordRealDemos({ scenario: nav, reality, episodes, out, seed: 500, expertNoise: 0.2, sceneEvery: 0 });
  return out;
}

describe('estimateLoopDelay', () => {
  it('finds the total delay (actuation + sensing) of robots with 0, 3 and 7 steps, with a clear minimum', async () => {
    for (const [da, dobs] of [
      [0, 0],
      [2, 1],
      [4, 3],
    ]) {
      const { episodes } = await readEpisodes(await record(`robot-${da}-${dobs}`, da, dobs));
      const e = estimateLoopDelay(episodes);
      expect(e.steps, `actuation ${da} + sensing ${dobs}`).toBe(da + dobs);
      expect(e.ms).toBeCloseTo((1000 * (da + dobs)) / nav.control.rate_hz, 6);
      // One step either side fits clearly worse (where it exists).
      for (const d of [e.steps - 1, e.steps + 1].filter((d) => d >= 0))
        expect(e.residualByDelay[d]).toBeGreaterThan(1.2 * e.residualByDelay[e.steps]);
      expect(e.channels.map((c) => `${c.action}→${c.obs}`)).toEqual(['lin_vel→base_lin_vel', 'ang_vel→base_ang_vel']);
      expect(e.episodes).toBe(12);
    }
  });

  it('refuses episodes it cannot read a delay from, naming what it expected', async () => {
    const { episodes } = await readEpisodes(join(dir, 'robot-4-3'));
    expect(() => estimateLoopDelay(episodes.map((e) => ({ ...e, steps: e.steps.slice(0, 10) })))).toThrow(
      /robot-4-3.*: expected at least one episode longer than 14 steps/,
    );
    const grasp = {
      ...episodes[0],
      start: { ...episodes[0].start, contract: loadScenario('scenarios/grasp-cube.yaml').contract },
    };
    expect(() => estimateLoopDelay([grasp])).toThrow(InputError);
    expect(() => estimateLoopDelay([grasp])).toThrow(
      /contract: expected commanded and measured velocities .*lin_vel → base_lin_vel.*got actions ee_delta/,
    );
    const other = { ...episodes[1], start: { ...episodes[1].start, controlHz: 20 } };
    expect(() => estimateLoopDelay([episodes[0], other])).toThrow(
      /expected episodes of one robot \(scenario navigate-obstacles at 10 Hz\), got navigate-obstacles at 20 Hz/,
    );
  });

  it('runs as `episodes latency` (text and --json)', async () => {
    const program = new Command().exitOverride();
    registerEpisodes(program);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'sim2real', 'episodes', 'latency', join(dir, 'robot-4-3')]);
      await program.parseAsync([
        'node',
        'sim2real',
        'episodes',
        'latency',
        join(dir, 'robot-4-3'),
        '--json',
        '--max-steps',
        '9',
      ]);
      const [text, json] = write.mock.calls.map((c) => String(c[0]));
      expect(text).toMatch(/^loop delay 7 control steps = 700 ms at 10 Hz \(actuation \+ sensing\), from 12 episodes/);
      expect(text).toMatch(/ang_vel → base_ang_vel: lag \d\.\d{3} s/);
      const r = JSON.parse(json);
      expect(r).toMatchObject({ steps: 7, ms: 700, controlHz: 10, episodes: 12 });
      expect(r.residualByDelay).toHaveLength(10);
    } finally {
      write.mockRestore();
    }
  });
});
