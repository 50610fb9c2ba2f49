import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';
import { makeEnv, taskEnvOf } from '../../src/sim/make-env.js';
import { makeExpert } from '../../src/sim/tasks/experts.js';
import { Rng } from '../../src/sim/rng.js';
import type { Contract } from '../../src/sim/contract.js';
import { NavReprojector, navLayout, rollUnicycle } from '../../src/sim/tasks/navigate/predict.js';
import { DelayCompensator, compensateEpisode, type DelayCompensation } from '../../src/sim/delay-compensator.js';

const nav = loadScenario('scenarios/navigate-obstacles.yaml');
const grasp = loadScenario('scenarios/grasp-cube.yaml');
const L = navLayout(nav.contract);
const RAYS = L.rays;
const OBS = L.obsSize;

/** Actuation latency and sensing delay of the emulated robot: 400 ms and 300 ms at 10 Hz. */
const DA = 4;
const DO = 3;
const TAU = 0.1;
/** Delays pinned, sensor and action noise off (only the delay is measured); physics still randomized. */
const delayed: Scenario = {
  ...nav,
  randomization: {
    ...nav.randomization,
    obs_noise: [0, 0],
    obs_bias: [0, 0],
    action_noise: [0, 0],
    action_latency: [DA, DA],
    obs_delay: [DO, DO],
  },
};

interface Run {
  /** Observations as received (delayed), actions as sent, row-major; n rows. */
  obs: Float32Array;
  act: Float32Array;
  n: number;
  /** info.trueObs after step s (s = 0: reset). */
  trues: Float32Array[];
  /** The compensator's output per row. */
  comp: Float32Array[];
  /** An identity (steps = 0) compensator's output per row. */
  ident: Float32Array[];
}

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

/** The expert (plus seeded DART-style noise) drives the delayed env; the compensators follow along. */
function drive(seed: number, cfg: DelayCompensation, maxSteps = 200): Run {
  const env = makeEnv(R, delayed, { randomize: true });
  try {
    const task = taskEnvOf(env);
    task.onWarn = () => {};
    const expert = makeExpert(delayed);
    const comp = new DelayCompensator(nav.contract, env.controlHz, nav.safe_action, cfg);
    const ident = new DelayCompensator(nav.contract, env.controlHz, nav.safe_action, { steps: 0, tau: cfg.tau });
    const rng = new Rng(seed);
    const r0 = env.reset({ seed });
    expect(r0.info.randomization.action_latency).toBe(DA);
    expect(r0.info.randomization.obs_delay).toBe(DO);
    expert.reset();
    comp.reset();
    ident.reset();
    const obsRows: Float32Array[] = [];
    const actRows: Float32Array[] = [];
    const run: Run = {
      obs: new Float32Array(0),
      act: new Float32Array(0),
      n: 0,
      trues: [r0.info.trueObs!],
      comp: [],
      ident: [],
    };
    let obs = r0.obs;
    for (let t = 0; t < maxSteps; t++) {
      obsRows.push(obs);
      run.comp.push(comp.observe(obs));
      run.ident.push(ident.observe(obs));
      const a = expert.act(task.privileged());
      for (let i = 0; i < a.length; i++) a[i] = Math.max(-1, Math.min(1, a[i] + rng.normal(0, 0.2)));
      actRows.push(a);
      comp.commanded(a);
      ident.commanded(a);
      const r = env.step(a);
      run.trues.push(r.info.trueObs!);
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    run.n = obsRows.length;
    run.obs = new Float32Array(run.n * OBS);
    run.act = new Float32Array(run.n * 2);
    obsRows.forEach((o, t) => run.obs.set(o, t * OBS));
    actRows.forEach((a, t) => run.act.set(a, t * 2));
    return run;
  } finally {
    env.close();
  }
}

const bearing = (o: Float32Array) => Math.atan2(o[L.goalDir], o[L.goalDir + 1]);
function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}

interface Errors {
  dist: number;
  bearing: number;
  v: number;
  w: number;
  lidar: number;
}
function meanErrors(pairs: [Float32Array, Float32Array][]): Errors {
  const e: Errors = { dist: 0, bearing: 0, v: 0, w: 0, lidar: 0 };
  for (const [o, tr] of pairs) {
    e.dist += Math.abs(o[L.goalDist] - tr[L.goalDist]);
    e.bearing += angleDiff(bearing(o), bearing(tr));
    e.v += Math.abs(o[L.linVel] - tr[L.linVel]);
    e.w += Math.abs(o[L.angVel] - tr[L.angVel]);
    let l = 0;
    for (let i = 0; i < RAYS; i++) l += Math.abs(o[L.lidar + i] - tr[L.lidar + i]);
    e.lidar += l / RAYS;
  }
  for (const k of Object.keys(e) as (keyof Errors)[]) e[k] /= pairs.length;
  return e;
}

describe('DelayCompensator in a delayed navigate env (expert driving)', () => {
  const runs: Run[] = [];
  beforeAll(() => {
    for (const seed of [11, 12, 13]) runs.push(drive(seed, { steps: DA + DO, tau: TAU }));
  });

  it('(a) predicts the true observation at the time the command acts far better than the delayed one', () => {
    // Row t (the observation the command of step t + 1 is chosen from) is compared with the true
    // observation after step t + d_a: the state the command starts acting from.
    const raw: [Float32Array, Float32Array][] = [];
    const comp: [Float32Array, Float32Array][] = [];
    for (const run of runs) {
      for (let t = 0; t < run.n && t + DA < run.trues.length; t++) {
        raw.push([run.obs.subarray(t * OBS, (t + 1) * OBS), run.trues[t + DA]]);
        comp.push([run.comp[t], run.trues[t + DA]]);
      }
    }
    expect(raw.length).toBeGreaterThan(150);
    const er = meanErrors(raw);
    const ec = meanErrors(comp);
    // Measured (267 steps): raw dist 0.136 m, bearing 0.537 rad, v 0.088 m/s, w 1.11 rad/s, lidar MAE
    // 0.561 m; compensated 0.017 m, 0.090 rad, 0.036 m/s, 0.167 rad/s, 0.169 m.
    // Without compensation the delay is clearly visible...
    expect(er.bearing).toBeGreaterThan(0.3);
    expect(er.lidar).toBeGreaterThan(0.3);
    // ...and compensation removes most of it.
    expect(ec.dist).toBeLessThan(0.3 * er.dist);
    expect(ec.bearing).toBeLessThan(0.3 * er.bearing);
    expect(ec.w).toBeLessThan(0.35 * er.w);
    expect(ec.v).toBeLessThan(0.65 * er.v);
    expect(ec.lidar).toBeLessThan(0.5 * er.lidar);
    expect(ec.bearing).toBeLessThan(0.15);
    expect(ec.lidar).toBeLessThan(0.25);
  });

  it('predicts best at the true total delay: one step fewer or more is measurably worse', () => {
    const errorsAt = (D: number) => {
      const pairs: [Float32Array, Float32Array][] = [];
      for (const seed of [11, 12, 13]) {
        const run = drive(seed, { steps: D, tau: TAU });
        for (let t = 0; t < run.n && t + DA < run.trues.length; t++) pairs.push([run.comp[t], run.trues[t + DA]]);
      }
      return meanErrors(pairs);
    };
    const [short, exact, long] = [DA + DO - 1, DA + DO, DA + DO + 1].map(errorsAt);
    // Measured: bearing 0.105 / 0.090 / 0.174 rad, lidar 0.187 / 0.169 / 0.243 m for D − 1, D, D + 1
    // (the yaw rate and goal distance barely tell the delays apart).
    for (const k of ['bearing', 'lidar'] as const) {
      expect(exact[k], k).toBeLessThan(0.95 * short[k]);
      expect(exact[k], k).toBeLessThan(0.95 * long[k]);
    }
  });

  it('(b) steps = 0 is the identity (a copy)', () => {
    for (const run of runs) {
      for (let t = 0; t < run.n; t++) {
        const o = run.obs.subarray(t * OBS, (t + 1) * OBS);
        expect(run.ident[t]).toEqual(o);
        expect(run.ident[t]).not.toBe(o);
      }
    }
    // Also the first observation of an episode with steps > 0 (no command sent yet).
    expect(runs[0].comp[0]).toEqual(runs[0].obs.subarray(0, OBS));
    // steps = 0 accepts any contract (nothing to predict).
    const g = new DelayCompensator(grasp.contract, grasp.control.rate_hz, grasp.safe_action, { steps: 0, tau: 0 });
    const o = Float32Array.from({ length: g.obsSize }, (_, i) => i * 0.01);
    expect(g.observe(o)).toEqual(o);
  });

  it('(c) compensateEpisode equals step-by-step observe / commanded', () => {
    const comp = new DelayCompensator(nav.contract, nav.control.rate_hz, nav.safe_action, { steps: DA + DO, tau: TAU });
    for (const run of runs) {
      const out = compensateEpisode(run.obs, run.act, run.n, comp);
      expect(out.length).toBe(run.n * OBS);
      for (let t = 0; t < run.n; t++) expect(out.subarray(t * OBS, (t + 1) * OBS), `row ${t}`).toEqual(run.comp[t]);
    }
    expect(() => compensateEpisode(runs[0].obs, runs[0].act, runs[0].n + 1, comp)).toThrow(/observation values/);
  });
});

describe('navigate-like contracts only', () => {
  it('(d) a grasp contract gives a one-line error naming the missing obs component', () => {
    const make = () =>
      new DelayCompensator(grasp.contract, grasp.control.rate_hz, grasp.safe_action, { steps: 3, tau: 0.1 });
    expect(make).toThrow(/no obs component "lidar"/);
    try {
      make();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
    const noGoalDir: Contract = { ...nav.contract, obs: nav.contract.obs.filter((c) => c.name !== 'goal_dir') };
    expect(() => navLayout(noGoalDir)).toThrow(/no obs component "goal_dir"/);
  });

  it('refuses invalid settings', () => {
    expect(() => new DelayCompensator(nav.contract, 10, nav.safe_action, { steps: 1.5, tau: 0 })).toThrow(/steps/);
    expect(() => new DelayCompensator(nav.contract, 10, nav.safe_action, { steps: 2, tau: -1 })).toThrow(/tau/);
    expect(() => new DelayCompensator(nav.contract, 10, [0], { steps: 2, tau: 0 })).toThrow(/safe action/);
  });
});

describe('navigate prediction geometry', () => {
  /** A scan with obstacles, no-returns and depth jumps: the first observation of a sim episode. */
  function simScan(): Float32Array {
    const env = makeEnv(R, nav);
    try {
      for (let seed = 1; ; seed++) {
        const o = env.reset({ seed }).obs;
        let far = 0;
        for (let i = 0; i < RAYS; i++) if (o[i] >= L.maxRange) far++;
        if (far > 0 && far < RAYS - 3) return o;
      }
    } finally {
      env.close();
    }
  }

  it('(e) a pure rotation by one beam spacing shifts the lidar by one beam, exactly', () => {
    const rp = new NavReprojector(L);
    const synthetic = new Float32Array(OBS);
    for (let i = 0; i < RAYS; i++) synthetic[i] = i % 7 === 3 ? L.maxRange : 0.4 + 0.11 * ((i * 5) % 13); // jumps and no-returns
    synthetic.set([2, 0.6, 0.8, 0.1, 0.2], RAYS);
    const step = (2 * Math.PI) / RAYS;
    for (const obs of [simScan(), synthetic]) {
      const out = new Float32Array(OBS);
      // Turned counter-clockwise by one beam: new beam j looks where old beam j + 1 did.
      rp.reproject(obs, 0, 0, step, 0.3, -0.5, out);
      for (let j = 0; j < RAYS; j++) expect(out[j], `beam ${j}`).toBeCloseTo(obs[(j + 1) % RAYS], 5);
      expect(angleDiff(bearing(out), bearing(obs) - step)).toBeLessThan(1e-6);
      expect(out[L.goalDist]).toBeCloseTo(obs[L.goalDist], 5);
      expect(out[L.linVel]).toBeCloseTo(0.3, 6);
      expect(out[L.angVel]).toBeCloseTo(-0.5, 6);
      // Clockwise: the other way.
      rp.reproject(obs, 0, 0, -step, 0, 0, out);
      for (let j = 0; j < RAYS; j++) expect(out[j], `beam ${j}`).toBeCloseTo(obs[(j + RAYS - 1) % RAYS], 5);
      // No motion: the identity on lidar and goal; in place gives the same as into another array.
      rp.reproject(obs, 0, 0, 0, obs[L.linVel], obs[L.angVel], out);
      for (let i = 0; i < OBS; i++) expect(out[i]).toBeCloseTo(obs[i], 5);
      const a = new Float32Array(OBS);
      rp.reproject(obs, 0.1, -0.05, 0.3, 0.2, 0.4, a);
      const b = Float32Array.from(obs);
      rp.reproject(b, 0.1, -0.05, 0.3, 0.2, 0.4, b);
      expect(b).toEqual(a);
    }
  });

  it('re-reads a flat wall exactly after a translation, and moves the goal', () => {
    // A wall 1 m ahead (x = 1): range 1/cos θ where the beam hits within max range; move 0.2 m forward.
    const wall = new Float32Array(OBS);
    for (let i = 0; i < RAYS; i++) {
      const c = Math.cos((2 * Math.PI * i) / RAYS);
      wall[i] = c > 1 / L.maxRange ? 1 / c : L.maxRange;
    }
    wall.set([2, 0, 1, 0, 0], RAYS);
    const out = new Float32Array(OBS);
    new NavReprojector(L).reproject(wall, 0.2, 0, 0, 0, 0, out);
    for (const j of [0, 1, 2, 22, 23]) expect(out[j]).toBeCloseTo(0.8 / Math.cos((2 * Math.PI * j) / RAYS), 4);
    expect(out[L.goalDist]).toBeCloseTo(1.8, 5);
  });

  it('rolls a unicycle along an exact arc (tau 0) and lags the velocities (tau > 0)', () => {
    const p = rollUnicycle(0.5, 1, [0.5, 1, 0.5, 1, 0.5, 1], 0.1, 0, 10);
    expect(p.yaw).toBeCloseTo(0.3, 9);
    expect(p.x).toBeCloseTo(0.5 * Math.sin(0.3), 4);
    expect(p.y).toBeCloseTo(0.5 * (1 - Math.cos(0.3)), 4);
    const q = rollUnicycle(0, 0, [0.4, 0], 0.1, 0.1, 10);
    expect(q.v).toBeCloseTo(0.4 * (1 - Math.exp(-1)), 9);
    expect(q.x).toBeLessThan(0.04 * 0.5);
  });
});

describe('make-env compensateDelay (training data in sim)', () => {
  it("observes the present predicted from the episode's own drawn delays: far closer to the true present than the delayed observation", () => {
    const pairs = { raw: [] as [Float32Array, Float32Array][], comp: [] as [Float32Array, Float32Array][] };
    for (const seed of [21, 22]) {
      // The same seeded episode twice, with and without compensation, driven by the same actions.
      const plain = makeEnv(R, delayed, { randomize: true });
      const comp = makeEnv(R, delayed, { randomize: true, compensateDelay: true });
      try {
        const expert = makeExpert(delayed);
        const rng = new Rng(seed);
        const [p0, c0] = [plain.reset({ seed }), comp.reset({ seed })];
        expect(c0.info.randomization.delay_compensation).toEqual({ action_latency: DA, obs_delay: DO, tau: TAU });
        expert.reset();
        let [po, co] = [p0.obs, c0.obs];
        let truth = p0.info.trueObs!;
        for (let t = 0; t < 150; t++) {
          if (t > DO) {
            pairs.raw.push([po, truth]);
            pairs.comp.push([co, truth]);
          }
          const a = expert.act(taskEnvOf(plain).privileged());
          for (let i = 0; i < a.length; i++) a[i] = Math.max(-1, Math.min(1, a[i] + rng.normal(0, 0.2)));
          const [rp, rc] = [plain.step(a), comp.step(a)];
          expect(rc.info.trueObs).toEqual(rp.info.trueObs);
          [po, co, truth] = [rp.obs, rc.obs, rp.info.trueObs!];
          if (rp.terminated || rp.truncated) break;
        }
      } finally {
        plain.close();
        comp.close();
      }
    }
    expect(pairs.raw.length).toBeGreaterThan(100);
    const [er, ec] = [meanErrors(pairs.raw), meanErrors(pairs.comp)];
    expect(ec.bearing).toBeLessThan(0.3 * er.bearing);
    expect(ec.w).toBeLessThan(0.4 * er.w);
    expect(ec.lidar).toBeLessThan(0.5 * er.lidar);
  });
});
