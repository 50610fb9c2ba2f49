/**
 * The knob vocabulary in scenarios (`randomization:`) and reality profiles: physics knobs sampled into
 * PhysicsParams, names checked against the task and contract, scenario overrides, old files unchanged.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario, parseScenario } from '../../src/sim/scenario-file.js';
import { makeEnv, taskEnvOf } from '../../src/sim/make-env.js';
import { checkRealityFor, loadReality, makeRealEnv, parseReality, realityRanges } from '../../src/sim/reality.js';
import { Adr } from '../../src/sim/adr.js';
import { AdrSchema, type Scenario } from '../../src/sim/scenario-schema.js';
import { InputError } from '../../src/errors.js';

const grasp = loadScenario('scenarios/grasp-cube.yaml');
const nav = loadScenario('scenarios/navigate-obstacles.yaml');

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

function refused(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('accepted');
}

/** A scenario file's text with `randomization` replaced. */
function scenarioText(file: string, randomization: unknown): string {
  return stringify({ ...parse(readFileSync(file, 'utf8')), randomization });
}

const profile = (extra: object, scenario = 'grasp-cube') =>
  parseReality(JSON.stringify({ name: 'p', scenario, gap: {}, ...extra }), 'p.yaml');

describe('physics knobs', () => {
  it('are sampled per episode within their ranges into PhysicsParams, nominal for actuators without one', () => {
    const sc: Scenario = {
      ...grasp,
      randomization: {
        actuators: { shoulder: { gain: [0.7, 0.9], backlash: [0.01, 0.02] }, wrist_roll: { damping: [1.5, 2] } },
        gripper_force: [0.4, 0.6],
        body_friction: { cube: [0.5, 0.7], pads: [1.2, 1.2] },
      },
    };
    const env = makeEnv(R, sc, { randomize: true });
    const seen = new Set<number>();
    for (let seed = 0; seed < 10; seed++) {
      const p = env.reset({ seed }).info.physics;
      expect(p.actuator_gain).toHaveLength(5);
      expect(p.actuator_gain.filter((_, i) => i !== 1)).toEqual([1, 1, 1, 1]);
      expect(p.actuator_gain[1]).toBeGreaterThanOrEqual(0.7);
      expect(p.actuator_gain[1]).toBeLessThanOrEqual(0.9);
      expect(p.actuator_backlash[1]).toBeGreaterThanOrEqual(0.01);
      expect(p.actuator_backlash.filter((_, i) => i !== 1)).toEqual([0, 0, 0, 0]);
      expect(p.actuator_damping[4]).toBeGreaterThanOrEqual(1.5);
      expect(p.actuator_friction).toEqual([]);
      expect(p.gripper_force).toBeGreaterThanOrEqual(0.4);
      expect(p.gripper_force).toBeLessThanOrEqual(0.6);
      expect(p.body_friction.pads).toBe(1.2);
      expect(p.body_friction.cube).toBeGreaterThanOrEqual(0.5);
      expect(Object.keys(p.body_friction).sort()).toEqual(['cube', 'pads']);
      seen.add(p.actuator_gain[1]);
    }
    expect(seen.size).toBe(10);
    // The world the task built is the one the knobs say.
    const drawn = env.reset({ seed: 3 }).info.physics.gripper_force;
    expect(taskEnvOf(env).physics.gripper_force).toBe(drawn);
    env.close();
  });

  it('leave the draws of the other parameters as they were', () => {
    const base: Scenario = { ...nav, randomization: { friction: [0.5, 1.5], link_mass: [1, 2] } };
    const more: Scenario = {
      ...base,
      randomization: { ...base.randomization, actuators: { left_wheel: { gain: [0.8, 0.9] } } },
    };
    const a = makeEnv(R, base, { randomize: true }).reset({ seed: 5 }).info.physics;
    const b = makeEnv(R, more, { randomize: true }).reset({ seed: 5 }).info.physics;
    expect(b.friction).toBe(a.friction);
    expect(b.link_mass).toBe(a.link_mass);
    expect(b.actuator_gain[1]).toBe(1);
    expect(a.actuator_gain).toEqual([]);
  });

  it('are widened by ADR one by one, from their nominal values', () => {
    const adr = Adr.fresh(
      {
        actuators: { elbow: { gain: [0.5, 1.5], friction: [0, 0.1] } },
        body_friction: { cube: [0.5, 1] },
        sensors: { cube_pos: { noise: [0, 0.01], dropout_steps: [1, 3] } },
        action_delay_s: [0, 0.1],
      },
      AdrSchema.parse({ initial: 0 }),
    );
    expect(Object.keys(adr.state.params)).toEqual([
      'actuators.elbow.gain',
      'actuators.elbow.friction',
      'body_friction.cube',
      'sensors.cube_pos.noise',
      'action_delay_s',
    ]);
    expect(adr.range('actuators.elbow.gain')).toEqual([1, 1]);
    expect(adr.range('body_friction.cube')).toEqual([1, 1]);
    expect(adr.range('actuators.elbow.friction')).toEqual([0, 0]);
  });
});

describe('knob names', () => {
  it('a scenario naming an actuator, body or sensor its task does not have is refused in one line', () => {
    expect(
      refused(() =>
        parseScenario(scenarioText('scenarios/grasp-cube.yaml', { actuators: { knee: { gain: [1, 2] } } }), 'g.yaml'),
      ),
    ).toBe(
      'g.yaml:randomization.actuators.knee: no actuator "knee" in the grasp robot (have base_yaw, shoulder, elbow, wrist_pitch, wrist_roll)',
    );
    expect(
      refused(() =>
        parseScenario(scenarioText('scenarios/navigate-obstacles.yaml', { body_friction: { cube: [1, 2] } }), 'n.yaml'),
      ),
    ).toBe(
      'n.yaml:randomization.body_friction.cube: no body "cube" in the navigate world (have floor, wheels, obstacles, walls)',
    );
    expect(
      refused(() =>
        parseScenario(scenarioText('scenarios/navigate-obstacles.yaml', { gripper_force: [1, 2] }), 'n.yaml'),
      ),
    ).toBe('n.yaml:randomization.gripper_force: the navigate robot has no gripper');
    expect(
      refused(() =>
        parseScenario(
          scenarioText('scenarios/navigate-obstacles.yaml', { sensors: { camera: { noise: [0, 1] } } }),
          'n.yaml',
        ),
      ),
    ).toBe(
      'n.yaml:randomization.sensors.camera: no obs component "camera" (have lidar, goal_dist, goal_dir, base_lin_vel, base_ang_vel)',
    );
    expect(
      refused(() =>
        parseScenario(
          scenarioText('scenarios/grasp-cube.yaml', { sensors: { cube_pos: { noise: [0.2, 0.1] } } }),
          'g.yaml',
        ),
      ),
    ).toBe('g.yaml:randomization.sensors.cube_pos.noise: expected [lo, hi] with lo <= hi, got [0.2,0.1]');
    expect(
      refused(() =>
        parseScenario(scenarioText('scenarios/grasp-cube.yaml', { action_delay_s: [-0.1, 0.1] }), 'g.yaml'),
      ),
    ).toMatch(/^g\.yaml:randomization\.action_delay_s\.0: expected >= 0, got -0\.1$/);
  });

  it('a profile naming one is refused where its scenario is known', async () => {
    const p = profile({ gap: { actuators: { left_wheel: { gain: 0.8 } } } });
    expect(refused(() => checkRealityFor(p, grasp, 'p.yaml'))).toBe(
      'p.yaml:gap.actuators.left_wheel: no actuator "left_wheel" in the grasp robot (have base_yaw, shoulder, elbow, wrist_pitch, wrist_roll)',
    );
    const s = profile({ sensors: { lidar: { noise: 0.03 } } });
    expect(refused(() => checkRealityFor(s, grasp, 'p.yaml'))).toMatch(
      /^p\.yaml:sensors\.lidar: no obs component "lidar" \(have joint_pos, gripper_opening, /,
    );
    await expect(makeRealEnv(R, grasp, s, { file: 'p.yaml' })).rejects.toThrow(
      /^p\.yaml:sensors\.lidar: no obs component/,
    );
  });

  it('bad values in a profile name the field', () => {
    const bad = (extra: object) => refused(() => profile(extra));
    expect(bad({ gap: { actuators: { shoulder: { gain: -1 } } } })).toBe(
      'p.yaml:gap.actuators.shoulder.gain: expected >= 0, got -1',
    );
    expect(bad({ gap: { body_friction: { cube: [0.9, 0.5] } } })).toBe(
      'p.yaml:gap.body_friction.cube: expected [lo, hi] with lo <= hi, got [0.9,0.5]',
    );
    expect(bad({ sensors: { lidar: { dropout: 2 } } })).toBe('p.yaml:sensors.lidar.dropout: expected <= 1, got 2');
    expect(bad({ sensors: { lidar: { blur: 2 } } })).toMatch(/^p\.yaml:sensors\.lidar\.blur: expected no such field/);
    expect(bad({ timing: { obs_delay_s: 'late' } })).toBe(
      'p.yaml:timing.obs_delay_s: expected a number or [lo, hi], got "late"',
    );
    expect(bad({ timing: { jitter_ms: 2, jitter_s: 0.002 } })).toBe(
      'p.yaml:timing.jitter_s: expected jitter_s or jitter_ms, not both',
    );
  });
});

describe('reality profiles', () => {
  it('the shipped ones mean what they meant, plus their jitter in sim time', () => {
    expect(realityRanges(loadReality('scenarios/reality/grasp-cube.yaml'))).toEqual({
      friction: [0.45, 0.65],
      object_mass: [2.0, 3.0],
      link_mass: [1.25, 1.25],
      object_size: [0.8, 0.9],
      motor_stiffness: [0.6, 0.6],
      motor_damping: [1.4, 1.4],
      motor_max_force: [0.7, 0.7],
      gravity_tilt_deg: [1.5, 1.5],
      action_latency: [1, 1],
      obs_delay: [1, 1],
      obs_noise: [0.02, 0.03],
      jitter_s: [0.002, 0.002],
    });
    expect(realityRanges(loadReality('scenarios/reality/navigate-obstacles.yaml'))).toEqual({
      friction: [0.5, 0.5],
      link_mass: [1.6, 1.6],
      motor_stiffness: [0.5, 0.5],
      motor_max_force: [0.6, 0.6],
      joint_damping: [2.0, 2.0],
      object_size: [1.1, 1.2],
      action_latency: [4, 4],
      obs_delay: [3, 3],
      obs_noise: [0.02, 0.02],
      obs_bias: [0.02, 0.02],
      jitter_s: [0.005, 0.005],
    });
  });

  it('the shipped scenarios randomize nothing new', () => {
    for (const sc of [grasp, nav]) {
      const file = `scenarios/${sc.name}.yaml`;
      expect(Object.keys(sc.randomization)).toEqual(Object.keys(parse(readFileSync(file, 'utf8')).randomization));
    }
  });

  it('a profile with every new knob builds, acts, and logs what it drew', async () => {
    const p = profile(
      {
        gap: {
          friction: 0.8,
          actuators: { left_wheel: { gain: 0.85 }, right_wheel: { gain: [0.95, 1.0], backlash: 0.02 } },
          body_friction: { floor: [0.6, 0.7] },
        },
        sensors: {
          lidar: {
            noise: 0.03,
            bias: [-0.02, 0.02],
            drift: 0.002,
            dropout: 0.05,
            dropout_steps: [1, 3],
            outlier: 0.01,
            quantization: 0.01,
          },
          goal_dist: { noise: 0.01 },
        },
        timing: { action_delay_s: 0.15, obs_delay_s: [0.05, 0.1], jitter_s: 0.005 },
        scenario_overrides: { robot: { mass: 2.6 }, world: { obstacle_count: [4, 4] } },
      },
      'navigate-obstacles',
    );
    const env = await makeRealEnv(R, nav, p, { file: 'p.yaml' });
    const r = env.reset({ seed: 1 });
    expect(r.info.physics.actuator_gain[0]).toBe(0.85);
    expect(r.info.physics.actuator_backlash).toEqual([0, 0.02]);
    expect(r.info.physics.body_friction.floor).toBeGreaterThanOrEqual(0.6);
    expect(r.info.randomization.action_delay_s).toBe(0.15);
    expect(r.info.randomization.jitter_s).toBe(0.005);
    expect(Object.keys(r.info.randomization.sensors as object)).toEqual(['lidar', 'goal_dist']);
    expect(taskEnvOf(env).scenario.robot).toMatchObject({ mass: 2.6 });
    expect((taskEnvOf(env).privileged() as { layout: { obstacles: unknown[] } }).layout.obstacles).toHaveLength(4);
    for (let t = 0; t < 5; t++) expect(env.step([0.5, 0]).obs).toHaveLength(29);
    env.close();
  });
});

describe('scenario overrides', () => {
  const over = (scenario_overrides: object, sc = grasp) =>
    checkRealityFor(profile({ scenario_overrides }, sc.name), sc, 'p.yaml');

  it('may change the robot and the world', () => {
    expect(() => over({ robot: { link_masses: [1, 1, 1, 1, 1] }, world: { cube: { mass: 0.2 } } })).not.toThrow();
  });

  it('may not change the contract, the task or the name', () => {
    expect(refused(() => over({ robot: { lidar_rays: 32 } }, nav))).toBe(
      'p.yaml:scenario_overrides.robot.lidar_rays: would change the contract (obs.lidar: expected size 24, got 32)',
    );
    expect(refused(() => over({ contract: { obs: [] } }))).toBe(
      'p.yaml:scenario_overrides.contract: would change the contract',
    );
    expect(refused(() => profile({ scenario_overrides: { task: 'navigate' } }))).toMatch(
      /^p\.yaml:scenario_overrides\.task: would change the task/,
    );
    expect(refused(() => profile({ scenario_overrides: { name: 'other' } }))).toMatch(
      /^p\.yaml:scenario_overrides\.name: would change the scenario's name/,
    );
    expect(refused(() => profile({ scenario_overrides: { reward: { lift: 2 } } }))).toBe(
      'p.yaml:scenario_overrides.reward: expected one of robot | world | control, got "reward"',
    );
  });

  it('are validated like the scenario file', () => {
    expect(refused(() => over({ robot: { link_masses: 'heavy' } }))).toMatch(
      /^p\.yaml:scenario_overrides\.robot\.link_masses: expected array, got "heavy"$/,
    );
    expect(refused(() => over({ robot: { wobble: 1 } }))).toMatch(
      /^p\.yaml:scenario_overrides\.robot\.wobble: expected no such field/,
    );
  });
});

describe('docs/scenarios.md', () => {
  const blocks = [...readFileSync('docs/scenarios.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('its randomization example is a valid grasp block', () => {
    const example = blocks.find((b) => b.startsWith('randomization:') && b.includes('actuators:'))!;
    const sc = parseScenario(scenarioText('scenarios/grasp-cube.yaml', parse(example).randomization), 'doc.yaml');
    expect(sc.randomization.actuators?.shoulder?.gain).toEqual([0.7, 1.1]);
  });

  it('its profile example is a valid navigate profile', () => {
    const example = blocks.find((b) => b.includes('scenario_overrides:'))!;
    const p = parseReality(example, 'doc.yaml');
    checkRealityFor(p, nav, 'doc.yaml');
    expect(realityRanges(p).sensors?.lidar?.dropout_steps).toEqual([1, 3]);
    expect(realityRanges(p).jitter_s).toEqual([0.005, 0.005]);
  });
});
