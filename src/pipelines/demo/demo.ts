/**
 * The demo pipeline, one process from sim to robot: expert demonstrations in randomized sim →
 * behaviour cloning → evaluation in sim → a policy server and an emulated "real" robot (hidden
 * reality gap) talking ZeroMQ → zero-shot evaluation on the robot → teleoperated demonstrations
 * recorded on the robot → fine-tuning → the fine-tuned policy deployed to the running server (hot
 * swap) → evaluation on the robot again. Beside it, a nominal-only baseline (the same recipe in
 * nominal sim) is tested on the same robot episodes, and the fine-tuned policy is deployed for the
 * final test only if it beats the pretrained one on held-out robot episodes (choice.ts). Every
 * stage leaves its artefact in the run directory, and RUN/demo-stages.json records the finished
 * ones so a killed demo resumes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadRapier } from '../../sim/rapier.js';
import { loadScenario } from '../../sim/scenario-file.js';
import { checkRealityFor, loadReality, makeRealEnv } from '../../sim/reality.js';
import { InputError } from '../../errors.js';
import { initBackend } from '../../policy/models/backend.js';
import { loadPolicyDir } from '../../policy/checkpoints/policy-dir.js';
import { RunDir } from '../../runs/run-dir.js';
import { withDefaults, type RunHooks } from '../../ui/run-hooks.js';
import type { TrainBcReport } from '../train-bc.js';
import { evaluateWithProgress } from '../evaluate-progress.js';
import { demoBudget } from './budget.js';
import { StageLog, type StageRecord } from '../../runs/stage-log.js';
import { writeDemoReport } from './report.js';
import type { DemoResult } from './result.js';
import type { DemoRun } from './context.js';
import { realityFileFor, scenarioFile } from './inputs.js';
import { pretrainStages, type Pretrained } from './pretrain.js';
import { robotStages } from './robot-stages.js';

export type { StageRecord, DemoResult };

/** What `sim2real demo` runs; plain data (saved in RUN/demo-stages.json, kept by a resumed run). */
export interface DemoConfig {
  /** grasp, navigate (the built-in scenarios), a built-in scenario's name, or a scenario file. */
  scenario: string;
  /** Reality profile file of the emulated robot (default: the demo's profile for the scenario, inputs.ts). */
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

const STAGE_LOG = 'demo-stages.json';

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
  // One robot episode started before the collecting and training: a profile whose engine cannot
  // build this task's world fails now, not at the first robot stage.
  const probe = await makeRealEnv(R, sc, reality, { file: realityFile });
  try {
    probe.reset({ seed: 0 });
  } finally {
    probe.close();
  }
  const backend = await initBackend();
  const quick = config.quick === true;
  hooks.note(
    `sim2real demo: ${sc.name} against the reality profile ${reality.name} (${reality.engine}; ${quick ? 'quick' : 'default'} budget, tfjs ${backend.name}) → ${config.out}`,
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
  const { sc, budget: b, stage, hooks } = run;
  const pre = await pretrainStages(run, 'randomized');
  const base = await pretrainStages(run, 'nominal');
  const pretrainRun = pre.bc.run;
  const simRandomized = await stage(
    'simRandomized',
    'evaluate in randomized sim',
    join(pretrainRun, 'eval-randomized.json'),
    async () => {
      const { policy } = await loadPolicyDir(pre.bc.policy);
      try {
        const r = await evaluateWithProgress(
          policy,
          sc,
          { episodes: b.simEval, workers: run.workers, randomize: true },
          hooks,
        );
        new RunDir(pretrainRun).writeJson('eval-randomized.json', r);
        return r;
      } finally {
        policy.dispose();
      }
    },
  );
  const robot = await robotStages(run, pre, base);
  const split = (p: Pretrained) => ({
    ...p.expert,
    trainEpisodes: p.bc.trainEpisodes,
    valEpisodes: p.bc.valEpisodes,
  });
  const result: DemoResult = {
    scenario: sc.name,
    scenarioFile: run.scenarioFile,
    realityFile: run.realityFile,
    realityEngine: run.reality.engine,
    quick: run.quick,
    budget: b,
    stages: run.stages,
    simExpert: split(pre),
    pretrainRun,
    simNominal: pre.bc.evaluation!,
    simRandomized,
    baseline: {
      pretrainRun: base.bc.run,
      simExpert: split(base),
      daggerRounds: b.baselineDaggerRounds,
      simNominal: base.bc.evaluation!,
    },
    ...robot,
    totalSeconds: (performance.now() - run.t0) / 1000,
  };
  return { result, pretrain: pre.bc };
}
