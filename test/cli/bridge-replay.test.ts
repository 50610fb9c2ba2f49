/**
 * Re-executing a recorded run on the robot through the built CLI: `serve --replay FILE --episode K`
 * sends the logged actions open-loop to an emulated robot, the server records the re-executed
 * episode, and `replay A B --compare` reports the drift step by step: none when the robot starts
 * from the same seed, some when it starts elsewhere.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEpisodes } from '../../src/episodes/reader.js';
import { freePort, tinyCheckpoint } from '../bridge/fixtures.js';
import { ServeProcess } from '../bridge/serve-process.js';
import { sim2real } from './helpers.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';
const REALITY = 'scenarios/reality/navigate-obstacles.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-bridge-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Serve with `serveArgs`, run the emulated robot for `episodes` from `seed`, stop: the one MCAP file recorded. */
async function recordRun(name: string, serveArgs: string[], episodes: number, seed: number): Promise<string> {
  const rec = join(dir, name);
  // --heartbeat-ms 2500: a 10 s liveness window, so that the robot is not dropped (and its steps missed) for a loaded machine's pause.
  const server = await ServeProcess.start([
    ...serveArgs,
    '--bind',
    `tcp://127.0.0.1:${await freePort()}`,
    '--record',
    rec,
    '--heartbeat-ms',
    '2500',
  ]);
  try {
    // A generous deadline: a missed step would apply the safe action and make the runs differ.
    const r = await sim2real([
      'robot',
      'emulate',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--connect',
      server.endpoint,
      '--episodes',
      String(episodes),
      '--seed',
      String(seed),
      '--deadline-ms',
      '5000',
      '--json',
    ]);
    if (r.code !== 0) throw new Error(`robot emulate exited ${r.code}: ${r.stderr}`);
    expect(JSON.parse(r.stdout).missedSteps).toBe(0);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  const files = readdirSync(rec).filter((f) => f.endsWith('.mcap'));
  expect(files).toHaveLength(1);
  return join(rec, files[0]);
}

let logged: string;

beforeAll(async () => {
  // A policy whose actions visibly move the robot, so that drift would show.
  await tinyCheckpoint(join(dir, 'policy'), 'mover', 0.5);
  logged = await recordRun('logged', ['--policy', join(dir, 'policy')], 2, 10);
});

describe('serve --replay + robot emulate + replay --compare', () => {
  it('re-executes episode 1 exactly when the robot starts from its seed: zero drift at every step', async () => {
    const { episodes } = await readEpisodes(logged);
    const original = episodes.find((e) => e.start.index === 1)!;
    expect(original.start.seed).toBe(11);
    expect(original.steps.length).toBeGreaterThan(5);

    const again = await recordRun('again', ['--replay', logged, '--episode', '1'], 1, 11);
    const r = await sim2real(['replay', logged, again, '--compare', '--episode', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({
      a: logged,
      b: again,
      stepsA: original.steps.length,
      stepsB: original.steps.length,
      compared: original.steps.length,
      maxObsDrift: 0,
      maxActionDiff: 0,
    });
    expect(rep.steps.map((s: { step: number }) => s.step)).toEqual(original.steps.map((_, k) => k));
    expect(
      rep.steps.every((s: { obsMaxAbs: number; actionMaxAbs: number }) => s.obsMaxAbs === 0 && s.actionMaxAbs === 0),
    ).toBe(true);
    expect(rep.successB).toBe(rep.successA);
  });

  it('reports per-step drift when the same actions meet another start (another seed)', async () => {
    const elsewhere = await recordRun('elsewhere', ['--replay', logged, '--episode', '1'], 1, 12);
    const r = await sim2real(['replay', logged, elsewhere, '--compare', '--episode', '1', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.compared).toBe(Math.min(rep.stepsA, rep.stepsB));
    expect(rep.steps).toHaveLength(rep.compared);
    // The server sent the logged actions whatever it observed.
    expect(rep.maxActionDiff).toBe(0);
    expect(rep.maxObsDrift).toBeGreaterThan(0.01);
    expect(rep.steps[0].obsMaxAbs).toBeGreaterThan(0);
    expect(rep.maxObsDrift).toBe(Math.max(...rep.steps.map((s: { obsMaxAbs: number }) => s.obsMaxAbs)));
    expect(
      rep.steps.some((s: { obsComponent: string }) =>
        /^(lidar\[\d+\]|goal_dist|goal_dir\[[01]\]|base_lin_vel|base_ang_vel)$/.test(s.obsComponent),
      ),
    ).toBe(true);

    const text = await sim2real(['replay', logged, elsewhere, '--compare', '--episode', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/compared \d+ steps .*\nobservation drift: max \d+\.\d{4}/);
    expect(text.stdout).toMatch(/\n {2}step {4}0 {2}obs drift \d+\.\d{4} \(\S+\) {2}action diff 0\.0000\n/);
  });
});
