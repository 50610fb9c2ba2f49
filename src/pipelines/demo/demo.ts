/**
 * The demo pipeline, one process from sim to robot: expert demonstrations in randomized sim →
 * behaviour cloning → evaluation in sim → a policy server and an emulated "real" robot (hidden
 * reality gap) talking ZeroMQ → zero-shot evaluation on the robot → teleoperated demonstrations
 * recorded on the robot → fine-tuning → the fine-tuned policy deployed to the running server (hot
 * swap) → evaluation on the robot again. Every stage leaves its artefact in the run directory, and
 * RUN/demo-stages.json records the finished ones so a killed demo resumes.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadRapier, type Rapier } from '../../sim/rapier.js';
import { loadScenario } from '../../sim/scenario-file.js';
import { packageRoot } from '../../package-root.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import { checkRealityFor, loadReality, type Reality } from '../../sim/reality.js';
import { InputError } from '../../errors.js';
import { collect } from '../../collect/collect.js';
import { recordRealDemos } from '../../collect/real-demos.js';
import type { EvaluationReport } from '../../policy/evaluate.js';
import { initBackend } from '../../policy/models/backend.js';
import { loadPolicyDir } from '../../policy/checkpoints/policy-dir.js';
import { PolicyServer } from '../../bridge/server.js';
import { checkpointLoader } from '../../bridge/served-policy.js';
import { emulateRobot, type EmulateReport } from '../../bridge/emulated-robot.js';
import { deployTo } from '../../bridge/deploy.js';
import { RunDir } from '../../runs/run-dir.js';
import type { Progress } from '../../ui/progress.js';
import { withDefaults, type RunHooks } from '../../ui/run-hooks.js';
import { bcRunDefaults, trainBc, type TrainBcReport } from '../train-bc.js';
import { finetuneRun } from '../finetune.js';
import { evaluateWithProgress } from '../evaluate-progress.js';
import { demoBudget, type DemoBudget } from './budget.js';
import { StageLog, type StageRecord } from '../../runs/stage-log.js';
import { writeDemoReport } from './report.js';
import type { DemoResult } from './result.js';
import type { GaussianMlpPolicy } from '../../policy/models/gaussian-policy.js';
import { SEED_BANDS } from '../../seeds.js';

export type { StageRecord, DemoResult };

/** What `sim2real demo` runs; plain data (saved in RUN/demo-stages.json, kept by a resumed run). */
export interface DemoConfig {
  /** grasp, navigate (the built-in scenarios), a built-in scenario's name, or a scenario file. */
  scenario: string;
  /** Reality profile file of the emulated robot (default: the scenario's shipped one). */
  reality?: string;
  out: string;
  /** The smaller budget (about 3 minutes on 2 cores). */
  quick?: boolean;
  workers?: number;
}

export interface DemoRunOptions {
  /** Continue a killed demo in `out`: finished stages are kept, the rest run again. */
  resume?: boolean;
  hooks?: RunHooks;
}

export interface DemoReport {
  result: DemoResult;
  /** The pretraining run's report (what `sim2real train --algo bc` prints). */
  pretrain: TrainBcReport;
  /** RUN/report.html (RUN/demo.json holds the result and the transfer rows). */
  report: string;
  reality: string;
  backend: string;
}

const ROBOT_SEED = SEED_BANDS.demoRobot;
const REAL_DEMO_SEED = SEED_BANDS.demoRobotDemos;
/** How long the server waits for the robot's last episode_end and bye before closing, ms. */
const LEAVE_TIMEOUT_MS = 5000;
const STAGE_LOG = 'demo-stages.json';
/** The package's own scenarios/ (the demo works from any working directory). */
const SCENARIO_DIR = join(packageRoot(), 'scenarios');
const SHORT_NAMES: Record<string, string> = {
  grasp: 'grasp-cube',
  navigate: 'navigate-obstacles',
  navigation: 'navigate-obstacles',
};

function scenarioFile(name: string): string {
  const short = SHORT_NAMES[name];
  if (short) return join(SCENARIO_DIR, `${short}.yaml`);
  if (/\.ya?ml$/i.test(name)) {
    if (!existsSync(name)) throw new InputError(`--scenario: expected a scenario file, got "${name}" (not found)`);
    return name;
  }
  throw new InputError(`--scenario: expected grasp, navigate or a scenario file, got "${name}"`);
}

function realityFileFor(sc: Scenario, given: string | undefined): string {
  const file = given ?? join(SCENARIO_DIR, 'reality', `${sc.name}.yaml`);
  if (!existsSync(file)) {
    throw new InputError(
      given
        ? `--reality: expected a reality profile file, got "${given}" (not found)`
        : `--reality: expected a reality profile file; none ships for scenario ${sc.name} (looked for ${file})`,
    );
  }
  return file;
}

/** What the stages share once the run's inputs are resolved. */
interface DemoRun {
  R: Rapier;
  sc: Scenario;
  scenarioFile: string;
  reality: Reality;
  realityFile: string;
  out: string;
  budget: DemoBudget;
  workers: number;
  quick: boolean;
  resume: boolean;
  hooks: Required<RunHooks>;
  stage: <T>(key: string, name: string, artefact: string, f: () => Promise<T>) => Promise<T>;
  stages: StageRecord[];
  t0: number;
}

/** Run f with a progress display that is stopped however f ends (a live bar keeps the process alive). */
async function withBar<T>(
  run: DemoRun,
  label: string,
  total: number,
  unit: string,
  f: (bar: Progress) => Promise<T>,
): Promise<T> {
  const bar = run.hooks.progress(label, total, unit);
  try {
    return await f(bar);
  } finally {
    bar.stop();
  }
}

async function untilRobotsLeft(server: PolicyServer): Promise<void> {
  const t0 = performance.now();
  while (server.stats().robots > 0 && performance.now() - t0 < LEAVE_TIMEOUT_MS)
    await new Promise((r) => setTimeout(r, 10));
}

/**
 * The whole demo in `config.out`; writes report.html and demo.json. Stage lines and bars go to
 * `hooks` (the CLI shows them on stderr).
 */
export async function runDemo(given: DemoConfig, opts: DemoRunOptions = {}): Promise<DemoReport> {
  const hooks = withDefaults(opts.hooks);
  const resume = opts.resume === true;
  if (existsSync(join(given.out, 'demo.json')))
    throw new InputError(`${given.out}: expected a new run directory, got a finished demo (use another --out)`);
  if (!resume && existsSync(join(given.out, STAGE_LOG)))
    throw new InputError(
      `${given.out}: expected a new run directory, got an unfinished demo (use --resume to continue it, or another --out)`,
    );
  const log = StageLog.open(join(given.out, STAGE_LOG), given, resume);
  const config: DemoConfig = { ...(log.config as DemoConfig), out: given.out };
  const file = scenarioFile(config.scenario);
  const sc = loadScenario(file);
  const realityFile = realityFileFor(sc, config.reality);
  const reality = loadReality(realityFile);
  // Before minutes of collecting and training, not at the first robot stage.
  checkRealityFor(reality, sc, realityFile, "the demo's scenario");
  const R = await loadRapier();
  const backend = await initBackend();
  const quick = config.quick === true;
  hooks.note(
    `sim2real demo: ${sc.name} against the reality profile ${reality.name} (${quick ? 'quick' : 'default'} budget, tfjs ${backend.name}) → ${config.out}`,
  );
  const stages: StageRecord[] = [];
  const t0 = performance.now();
  const stage = async <T>(key: string, name: string, artefact: string, f: () => Promise<T>): Promise<T> => {
    const done = log.finished<T>(key);
    if (done) {
      hooks.note(`── ${name}: done before the resume (${artefact})`);
      stages.push(done.record);
      return done.result;
    }
    hooks.note(`── ${name}`);
    const t = performance.now();
    const r = await f();
    const record = { stage: name, seconds: (performance.now() - t) / 1000, artefact };
    stages.push(record);
    log.save(key, record, r);
    hooks.note(`   ${name}: ${record.seconds.toFixed(1)} s → ${artefact}`);
    return r;
  };
  const run: DemoRun = {
    R,
    sc,
    scenarioFile: file,
    reality,
    realityFile,
    out: config.out,
    budget: demoBudget(sc, quick),
    workers: config.workers ?? 2,
    quick,
    resume,
    hooks,
    stage,
    stages,
    t0,
  };
  const { result, pretrain } = await pretrainThenRobot(run);
  const report = await writeDemoReport(config.out, result);
  return { result, pretrain, report, reality: reality.name, backend: backend.name };
}

async function pretrainThenRobot(run: DemoRun): Promise<{ result: DemoResult; pretrain: TrainBcReport }> {
  const { sc, budget: b, stage } = run;
  const simDemos = join(run.out, 'sim-demos');
  const simExpert = await stage('collect', 'collect expert demonstrations (randomized sim)', simDemos, () =>
    withBar(run, `collect ${sc.name}`, b.simDemos, 'ep', async (bar) => {
      // A killed collection left some episode files: collect them all again.
      if (run.resume) rmSync(simDemos, { recursive: true, force: true });
      let ok = 0;
      let done = 0;
      const r = await collect({
        scenario: sc,
        episodes: b.simDemos,
        out: simDemos,
        workers: run.workers,
        randomize: true,
        expertNoise: b.expertNoise,
        compensateDelay: b.compensateDelay,
        sceneEvery: 10,
        onEpisode: (e) => {
          ok += e.success ? 1 : 0;
          // Workers finish out of index order: count, don't read the index.
          bar.tick(1, `expert success ${ok}/${++done}`);
        },
      });
      return { episodes: r.episodes, successes: r.successes };
    }),
  );

  const pretrainRun = join(run.out, 'pretrain');
  const pretrain = await stage('pretrain', 'pretrain: behaviour cloning', join(pretrainRun, 'policy'), () =>
    trainBc(
      {
        scenario: run.scenarioFile,
        out: pretrainRun,
        bc: {
          ...bcRunDefaults(simDemos),
          epochs: b.epochs,
          daggerRounds: b.daggerRounds,
          daggerEpisodes: b.daggerEpisodes,
          // The demos are randomized; so are the states the DAgger rounds relabel.
          daggerRandomize: true,
          evalEpisodes: b.simEval,
          workers: run.workers,
        },
      },
      // A killed pretraining continues from its last checkpoint.
      { resume: run.resume && existsSync(join(pretrainRun, 'config.json')), hooks: run.hooks },
    ),
  );
  const { policy } = await loadPolicyDir(pretrain.policy);
  try {
    const result = await onPolicy(run, policy, {
      simDemos,
      simExpert,
      pretrainRun,
      pretrainPolicy: pretrain.policy,
      simNominal: pretrain.evaluation!,
    });
    return { result, pretrain };
  } finally {
    policy.dispose();
  }
}

interface Pretrained {
  simDemos: string;
  simExpert: { episodes: number; successes: number };
  pretrainRun: string;
  pretrainPolicy: string;
  simNominal: EvaluationReport;
}

/** The stages after pretraining: randomized-sim eval, the robot, fine-tuning, the deploy. */
async function onPolicy(o: DemoRun, policy: GaussianMlpPolicy, pre: Pretrained): Promise<DemoResult> {
  const { R, sc, budget: b, stage, stages, t0 } = o;
  const log = o.hooks.note;
  const { simDemos, simExpert, pretrainRun, simNominal } = pre;
  const simRandomized = await stage(
    'simRandomized',
    'evaluate in randomized sim',
    join(pretrainRun, 'eval-randomized.json'),
    async () => {
      const r = await evaluateWithProgress(
        policy,
        sc,
        { episodes: b.simEval, workers: o.workers, randomize: true },
        o.hooks,
      );
      new RunDir(pretrainRun).writeJson('eval-randomized.json', r);
      return r;
    },
  );

  const recordings = join(o.out, 'robot-episodes');
  const server = await PolicyServer.start({
    bind: 'tcp://127.0.0.1:*',
    policy,
    recordDir: recordings,
    scenario: { name: sc.name, controlHz: sc.control.rate_hz, safeAction: sc.safe_action },
    loadPolicy: checkpointLoader(policy.contract),
    // The demo deploys its fine-tuned policy to its own loopback server.
    allowDeploy: true,
    log: (line) => log(`   server: ${line}`),
  });
  try {
    const onRobot = (label: string): Promise<EmulateReport> =>
      withBar(o, label, b.robotEval, 'ep', async (bar) => {
        let ok = 0;
        return emulateRobot(R, sc, o.reality, {
          server: server.endpoint,
          episodes: b.robotEval,
          seed: ROBOT_SEED,
          robotId: `emulated-${sc.name}`,
          onEpisode: (e) => {
            ok += e.success ? 1 : 0;
            bar.tick(1, `success ${ok}`);
          },
        });
      });
    const robotZeroShot = await stage('robotZeroShot', 'zero-shot on the emulated robot over ZeroMQ', recordings, () =>
      onRobot('robot zero-shot'),
    );

    const realDemos = join(o.out, 'real-demos');
    const real = await stage('realDemos', 'record teleoperated demonstrations on the robot', realDemos, () =>
      withBar(o, 'real demos', b.realDemos, 'ep', (bar) => {
        if (o.resume) rmSync(realDemos, { recursive: true, force: true });
        return recordRealDemos({
          scenario: sc,
          reality: o.reality,
          realityFile: o.realityFile,
          episodes: b.realDemos,
          out: realDemos,
          seed: REAL_DEMO_SEED,
          onEpisode: () => bar.tick(1),
        });
      }),
    );

    const finetuneDir = join(o.out, 'finetune');
    const { loopDelay } = await stage<{ loopDelay: DemoResult['loopDelay'] }>(
      'finetune',
      'fine-tune on the robot demonstrations',
      join(finetuneDir, 'policy'),
      async () => {
        // `sim2real finetune` as a user runs it, co-training with the sim demonstrations at the recipe's fraction.
        const config = {
          policy: pre.pretrainPolicy,
          data: realDemos,
          out: finetuneDir,
          mode: 'bc' as const,
          simData: simDemos,
          simFraction: b.finetuneSimFraction,
          epochs: b.finetuneEpochs,
          workers: o.workers,
        };
        // A killed fine-tuning continues from its checkpoint.
        const resume = o.resume && existsSync(join(finetuneDir, 'config.json'));
        const report = await finetuneRun(config, { resume, hooks: o.hooks });
        const ran = new RunDir(report.run).readJson<{ loopDelay: { steps: number; estimated: boolean } | null }>(
          'config.json',
        );
        // A delay-compensating policy had the robot's delay estimated; the run records none when it came out 0.
        if (policy.delayCompensation.steps === 0) return { loopDelay: null };
        const estimated = ran?.loopDelay?.steps ?? 0;
        log(
          `   robot loop delay estimated from the demonstrations: ${estimated} control steps; the policy was trained for ${policy.delayCompensation.steps}`,
        );
        return { loopDelay: { assumed: policy.delayCompensation.steps, estimated } };
      },
    );

    const robotFinetuned = await stage(
      'robotFinetuned',
      'deploy to the running server, evaluate on the robot again',
      recordings,
      async () => {
        const d = await deployTo(server.endpoint, join(finetuneDir, 'policy'));
        log(`   deployed ${d.policyId} as policy version ${d.policyVersion}`);
        const r = await onRobot('robot fine-tuned');
        // The robot's last episode_end and bye are still in flight: let the server record them.
        await untilRobotsLeft(server);
        return r;
      },
    );

    return {
      scenario: sc.name,
      scenarioFile: o.scenarioFile,
      realityFile: o.realityFile,
      quick: o.quick,
      budget: b,
      stages,
      simExpert,
      realDemos: { episodes: real.episodes, successes: real.successes },
      pretrainRun,
      finetuneRun: finetuneDir,
      simNominal,
      simRandomized,
      robotZeroShot,
      robotFinetuned,
      loopDelay,
      recordings,
      totalSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await server.close();
  }
}
