/**
 * MuJoCo realities through the built CLI: teleoperated demonstrations on a MuJoCo robot (their
 * snapshots are MuJoCo's), the loop delay estimated from them, replay by state in MuJoCo, and bad
 * profiles refused in one line.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEpisodes } from '../../src/episodes/reader.js';
import { isMujocoSnapshot } from '../../src/sim/mujoco/snapshot.js';
import { sim2real } from './helpers.js';

const GRASP = 'scenarios/grasp-cube.yaml';
const NAV = 'scenarios/navigate-obstacles.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-mujoco-reality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function demos(scenario: string, reality: string, out: string, episodes: number): Promise<void> {
  const r = await sim2real([
    'robot',
    'demos',
    '--scenario',
    scenario,
    '--reality',
    reality,
    '--out',
    out,
    '--episodes',
    String(episodes),
    '--json',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).successRate).toBe(1);
}

describe('MuJoCo realities on the command line', () => {
  it('robot demos on the shipped MuJoCo grasp cell: episodes with MuJoCo snapshots, labelled by the expert', async () => {
    const out = join(dir, 'grasp-demos');
    await demos(GRASP, 'scenarios/reality/grasp-cube-mujoco.yaml', out, 3);
    const { episodes } = await readEpisodes(out);
    expect(episodes).toHaveLength(3);
    for (const e of episodes) {
      expect(isMujocoSnapshot(e.snapshot)).toBe(true);
      expect(e.start.source).toBe('real');
      expect(e.end?.success).toBe(true);
    }
  });

  it('episodes latency finds the whole-step loop delay of a MuJoCo robot', async () => {
    // 2 steps of actuation + 1 of sensing, whole steps: the estimate must say 3.
    const reality = profile(
      'nav-delay',
      'name: nav-delay\nscenario: navigate-obstacles\nengine: mujoco\ngap: {action_latency: 2, obs_delay: 1}\ntiming: {jitter_ms: 0}\n',
    );
    const out = join(dir, 'nav-delay');
    await demos(NAV, reality, out, 4);
    const r = await sim2real(['episodes', 'latency', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps).toBe(3);
  });

  it('replay --check re-simulates a MuJoCo episode from its snapshot, identically', async () => {
    const reality = profile(
      'grasp-plain',
      'name: grasp-plain\nscenario: grasp-cube\nengine: mujoco\nmujoco: {cone: elliptic}\ngap: {friction: 0.8, object_mass: 1.5}\n',
    );
    const out = join(dir, 'grasp-plain');
    await demos(GRASP, reality, out, 1);
    const r = await sim2real(['replay', out, '--episode', '0', '--check', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.steps).toBeGreaterThan(10);
    expect(rep.maxAbsDiff).toBe(0);
    expect(rep.firstDivergentStep).toBeNull();
  });

  it.each([
    [
      'an unknown engine',
      GRASP,
      'engine: bullet\ngap: {}\n',
      /:engine: expected one of "rapier" \| "mujoco", got "bullet"/,
    ],
    [
      'MuJoCo settings on a Rapier reality',
      GRASP,
      'mujoco: {cone: elliptic}\ngap: {}\n',
      /:mujoco: settings for the MuJoCo engine, but engine is "rapier"/,
    ],
    [
      'a sensor knob on no component',
      GRASP,
      'engine: mujoco\ngap: {}\nsensors: {lidar: {noise: 0.01}}\n',
      /:sensors\.lidar: no obs component "lidar"/,
    ],
    [
      'a bad contact setting',
      GRASP,
      'engine: mujoco\nmujoco: {contact: {condim: 2}}\ngap: {}\n',
      /:mujoco\.contact\.condim: /,
    ],
    [
      'a cube of size 0',
      GRASP,
      'engine: mujoco\ngap: {object_size: 0}\n',
      /:gap\.object_size: expected a value > 0, got 0/,
    ],
    [
      'an override that changes the contract',
      NAV,
      'engine: mujoco\ngap: {}\nscenario_overrides: {robot: {lidar_rays: 32}}\n',
      /:scenario_overrides\.robot\.lidar_rays: would change the contract/,
    ],
  ])('refuses %s in one line, exit 2, and writes nothing', async (_what, scenario, body, message) => {
    const name = scenario === GRASP ? 'grasp-cube' : 'navigate-obstacles';
    const reality = profile('bad', `name: bad\nscenario: ${name}\n${body}`);
    const out = join(dir, 'never');
    const r = await sim2real([
      'robot',
      'demos',
      '--scenario',
      scenario,
      '--reality',
      reality,
      '--out',
      out,
      '--episodes',
      '1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(reality);
    expect(existsSync(out)).toBe(false);
  });

  it('robot emulate names the profile file of a knob on no component, before it connects', async () => {
    const reality = profile(
      'bad-emulate',
      'name: bad-emulate\nscenario: grasp-cube\nengine: mujoco\ngap: {}\nsensors: {lidar: {noise: 0.01}}\n',
    );
    const r = await sim2real([
      'robot',
      'emulate',
      '--scenario',
      GRASP,
      '--reality',
      reality,
      '--connect',
      'tcp://127.0.0.1:9',
      '--episodes',
      '1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${reality}:sensors.lidar: no obs component "lidar"`);
  });
});
