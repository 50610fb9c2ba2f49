/**
 * The demo pipeline, one process from sim to robot: expert demonstrations in randomized sim →
 * behaviour cloning → evaluation in sim → a policy server and an emulated "real" robot (hidden
 * reality gap) talking ZeroMQ → zero-shot evaluation on the robot → teleoperated demonstrations
 * recorded on the robot → fine-tuning → the fine-tuned policy deployed to the running server (hot
 * swap) → evaluation on the robot again. Every stage leaves its artefact in the run directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Rapier } from '../../sim/rapier.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import type { Reality } from '../../sim/reality.js';
import { InputError } from '../../errors.js';
import { collect } from '../../collect/collect.js';
import { recordRealDemos } from '../../collect/real-demos.js';
import { evaluateWithBar, trainBcCommand } from '../../cli/train.js';
import type { EvaluationReport } from '../../policy/evaluate.js';
import { loadPolicyDir } from '../../policy/checkpoints/policy-dir.js';
import { loadDataset } from '../../policy/data/dataset.js';
import { robotCompensation } from '../../policy/finetune/robot-delay.js';
import { finetune } from '../../policy/finetune/finetune.js';
import { BC_DEFAULTS } from '../../policy/bc/bc.js';
import { saveCheckpoint } from '../../policy/checkpoints/checkpoint.js';
import { PolicyServer } from '../../bridge/server.js';
import { checkpointLoader } from '../../bridge/served-policy.js';
import { emulateRobot, type EmulateReport } from '../../bridge/emulated-robot.js';
import { deployTo } from '../../bridge/deploy.js';
import { RunDir } from '../../runs/run-dir.js';
import { startProgress, type Progress } from '../../ui/progress.js';
import type { DemoBudget } from './budget.js';
import type { GaussianMlpPolicy } from '../../policy/models/gaussian-policy.js';
import { SEED_BANDS } from '../../seeds.js';

export interface DemoOptions {
  R: Rapier;
  scenario: Scenario;
  scenarioFile: string;
  reality: Reality;
  realityFile: string;
  out: string;
  budget: DemoBudget;
  workers: number;
  quick: boolean;
  /** One line per stage and notable event. */
  log: (line: string) => void;
}

export interface StageRecord {
  stage: string;
  seconds: number;
  artefact: string;
}

/** What the report needs: every figure with its episode count and 95% interval. */
export interface DemoResult {
  scenario: string;
  scenarioFile: string;
  realityFile: string;
  quick: boolean;
  budget: DemoBudget;
  stages: StageRecord[];
  simExpert: { episodes: number; successes: number };
  realDemos: { episodes: number; successes: number };
  pretrainRun: string;
  finetuneRun: string;
  simNominal: EvaluationReport;
  simRandomized: EvaluationReport;
  robotZeroShot: EmulateReport;
  robotFinetuned: EmulateReport;
  /** Delay compensation (recipes that use it): the delay the pretrained policy assumes and the robot's, estimated from the demonstrations; control steps. */
  loopDelay: { assumed: number; estimated: number } | null;
  /** Served episodes (MCAP, source real, one file per robot session) recorded by the policy server. */
  recordings: string;
  totalSeconds: number;
}

const ROBOT_SEED = SEED_BANDS.demoRobot;
/** How long the server waits for the robot's last episode_end and bye before closing, ms. */
const LEAVE_TIMEOUT_MS = 5000;

/** Run f with a progress bar that is stopped however f ends (a live bar keeps the process alive). */
async function withBar<T>(label: string, total: number, unit: string, f: (bar: Progress) => Promise<T>): Promise<T> {
  const bar = startProgress(label, total, { unit });
  try {
    return await f(bar);
  } finally {
    bar.stop();
  }
}

async function untilRobotsLeft(server: PolicyServer): Promise<void> {
  const t0 = performance.now();
  while (server.stats().robots > 0 && performance.now() - t0 < LEAVE_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 10));
}
const REAL_DEMO_SEED = SEED_BANDS.demoRobotDemos;

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const { R, scenario: sc, budget: b, log } = o;
  if (existsSync(join(o.out, 'demo.json'))) throw new InputError(`${o.out}: expected a new run directory, got a finished demo (use another --out)`);
  const stages: StageRecord[] = [];
  const t0 = performance.now();
  const stage = async <T>(name: string, artefact: string, f: () => Promise<T>): Promise<T> => {
    log(`── ${name}`);
    const t = performance.now();
    const r = await f();
    const seconds = (performance.now() - t) / 1000;
    stages.push({ stage: name, seconds, artefact });
    log(`   ${name}: ${seconds.toFixed(1)} s → ${artefact}`);
    return r;
  };

  const simDemos = join(o.out, 'sim-demos');
  const simExpert = await stage('collect expert demonstrations (randomized sim)', simDemos, () => withBar(`collect ${sc.name}`, b.simDemos, 'ep', async (bar) => {
    let ok = 0;
    let done = 0;
    const r = await collect({
      scenario: sc,
      episodes: b.simDemos,
      out: simDemos,
      workers: o.workers,
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
  }));

  const pretrainRun = join(o.out, 'pretrain');
  const pretrain = await stage('pretrain: behaviour cloning', join(pretrainRun, 'policy'), () =>
    trainBcCommand(o.scenarioFile, {
      algo: 'bc',
      data: simDemos,
      out: pretrainRun,
      epochs: b.epochs,
      daggerRounds: b.daggerRounds,
      daggerEpisodes: b.daggerEpisodes,
      // The demos are randomized; so are the states the DAgger rounds relabel.
      randomize: true,
      evalEpisodes: b.simEval,
      workers: o.workers,
    }),
  );
  const simNominal = pretrain.evaluation!;
  const { policy } = await loadPolicyDir(pretrain.policy);

  try {
    return await onPolicy(o, policy, { stage, stages, t0, simDemos, simExpert, pretrainRun, pretrainPolicy: pretrain.policy, simNominal });
  } finally {
    policy.dispose();
  }
}

interface Pretrained {
  stage: <T>(name: string, artefact: string, f: () => Promise<T>) => Promise<T>;
  stages: StageRecord[];
  t0: number;
  simDemos: string;
  simExpert: { episodes: number; successes: number };
  pretrainRun: string;
  pretrainPolicy: string;
  simNominal: EvaluationReport;
}

/** The stages after pretraining: randomized-sim eval, the robot, fine-tuning, the deploy. */
async function onPolicy(o: DemoOptions, policy: GaussianMlpPolicy, pre: Pretrained): Promise<DemoResult> {
  const { R, scenario: sc, budget: b, log } = o;
  const { stage, stages, t0, simDemos, simExpert, pretrainRun, simNominal } = pre;
  const simRandomized = await stage('evaluate in randomized sim', join(pretrainRun, 'eval-randomized.json'), async () => {
    const r = await evaluateWithBar(policy, sc, b.simEval, o.workers, false, { randomize: true });
    new RunDir(pretrainRun).writeJson('eval-randomized.json', r);
    return r;
  });

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
    const onRobot = (label: string): Promise<EmulateReport> => withBar(label, b.robotEval, 'ep', async (bar) => {
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
    const robotZeroShot = await stage('zero-shot on the emulated robot over ZeroMQ', recordings, () => onRobot('robot zero-shot'));

    const realDemos = join(o.out, 'real-demos');
    const real = await stage('record teleoperated demonstrations on the robot', realDemos, () => withBar('real demos', b.realDemos, 'ep', (bar) =>
      recordRealDemos({
        scenario: sc,
        reality: o.reality,
        realityFile: o.realityFile,
        episodes: b.realDemos,
        out: realDemos,
        seed: REAL_DEMO_SEED,
        onEpisode: () => bar.tick(1),
      }),
    ));

    const finetuneRun = new RunDir(join(o.out, 'finetune'));
    let loopDelay: DemoResult['loopDelay'] = null;
    await stage('fine-tune on the robot demonstrations', finetuneRun.policyDir, async () => {
      const contractOf = { contract: policy.contract, contractOf: `the policy ${pre.pretrainPolicy}` };
      const compensate = robotCompensation(policy.delayCompensation, 'bc', undefined, (e) => {
        loopDelay = { assumed: policy.delayCompensation.steps, estimated: e.steps };
        log(`   robot loop delay estimated from the demonstrations: ${e.steps} control steps (${e.ms.toFixed(0)} ms); the policy was trained for ${policy.delayCompensation.steps}`);
      });
      const target = await loadDataset(realDemos, { valFraction: 0.2, seed: 0, compensate, ...contractOf });
      const sim = await loadDataset(simDemos, { valFraction: 0, ...contractOf });
      let shown = 0;
      const res = await withBar('finetune', b.finetuneEpochs, 'epoch', async (bar) => {
        const r = await finetune({
          policy,
          mode: 'bc',
          target,
          simData: sim.train,
          simFraction: b.finetuneSimFraction,
          pretrainLr: BC_DEFAULTS.lr,
          epochs: b.finetuneEpochs,
          onProgress: (p) => {
            finetuneRun.logMetrics({ phase: 'train', epoch: p.epoch, trainLoss: p.trainLoss, valLoss: Number.isFinite(p.valLoss) ? p.valLoss : null });
            bar.tick(p.epoch - shown, `loss ${p.trainLoss.toExponential(2)} val ${p.valLoss.toExponential(2)}`);
            shown = p.epoch;
          },
        });
        bar.tick(b.finetuneEpochs - shown, 'done');
        return r;
      });
      try {
        await finetuneRun.plot('loss', `fine-tuning on ${target.trainEpisodes} robot demonstrations: target loss`, 'epoch', ['trainLoss', 'valLoss'], { yTitle: 'loss' });
        await saveCheckpoint(finetuneRun.policyDir, res.policy, {
          scenario: sc,
          training: { command: 'demo finetune', mode: 'bc', from: policy.id, realDemos, simData: simDemos, lr: res.lr },
          metrics: { bestValLoss: res.bc?.bestValLoss ?? null, epochs: res.bc?.epochs ?? null },
        });
      } finally {
        res.policy.dispose();
      }
    });

    const robotFinetuned = await stage('deploy to the running server, evaluate on the robot again', recordings, async () => {
      const d = await deployTo(server.endpoint, finetuneRun.policyDir);
      log(`   deployed ${d.policyId} as policy version ${d.policyVersion}`);
      const r = await onRobot('robot fine-tuned');
      // The robot's last episode_end and bye are still in flight: let the server record them.
      await untilRobotsLeft(server);
      return r;
    });

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
      finetuneRun: finetuneRun.path,
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
