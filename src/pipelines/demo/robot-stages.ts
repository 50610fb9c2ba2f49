/**
 * The demo's stages on the emulated robot, all through one policy server (RobotLink): the tests of
 * the nominal-only baseline (a) and of the randomized policy zero-shot (b), (b) on the held-out
 * validation episodes, teleoperated demonstrations, fine-tuning, the fine-tuned policy on the
 * validation episodes, the choice of the policy to deploy (choice.ts) and its test (c). Every test
 * runs the same seeds; validation runs seeds of its own band.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordRealDemos } from '../../collect/real-demos.js';
import type { EmulateReport } from '../../bridge/emulated-robot.js';
import { RunDir } from '../../runs/run-dir.js';
import { SEED_BANDS } from '../../seeds.js';
import { finetuneRun } from '../finetune.js';
import { chooseDeployed } from './choice.js';
import { withBar, type DemoRun } from './context.js';
import type { Pretrained } from './pretrain.js';
import type { DemoResult } from './result.js';
import { RobotLink } from './robot-link.js';

const ROBOT_SEED = SEED_BANDS.demoRobot;
const VALIDATION_SEED = SEED_BANDS.demoRobotValidation;
const REAL_DEMO_SEED = SEED_BANDS.demoRobotDemos;

type RobotResult = Pick<
  DemoResult,
  | 'robotZeroShot'
  | 'robotFinetuned'
  | 'validation'
  | 'realDemos'
  | 'finetuneRun'
  | 'loopDelay'
  | 'recordings'
  | 'robotNominalOnly'
>;

interface FinetuneStage {
  loopDelay: DemoResult['loopDelay'];
  trainEpisodes: number;
  valEpisodes: number;
}

export async function robotStages(o: DemoRun, pre: Pretrained, base: Pretrained): Promise<RobotResult> {
  const { sc, budget: b, stage } = o;
  const log = o.hooks.note;
  const recordings = join(o.out, 'robot-episodes');
  const link = new RobotLink({ R: o.R, sc, reality: o.reality, recordDir: recordings, log });
  const onRobot = async (policy: string, label: string, episodes: number, seed: number): Promise<EmulateReport> => {
    await link.serve(policy);
    return withBar(o, label, episodes, 'ep', (bar) => link.run(episodes, seed, bar));
  };
  const pretrained = pre.bc.policy;
  const finetuneDir = join(o.out, 'finetune');
  const finetuned = join(finetuneDir, 'policy');
  try {
    const robotNominalOnly = await stage(
      'robotNominalOnly',
      'nominal-only baseline on the emulated robot over ZeroMQ',
      recordings,
      () => onRobot(base.bc.policy, 'robot nominal-only', b.robotEval, ROBOT_SEED),
    );
    const robotZeroShot = await stage('robotZeroShot', 'zero-shot on the emulated robot over ZeroMQ', recordings, () =>
      onRobot(pretrained, 'robot zero-shot', b.robotEval, ROBOT_SEED),
    );
    const valPretrained = await stage(
      'validationPretrained',
      'pretrained policy on held-out robot validation episodes',
      recordings,
      () => onRobot(pretrained, 'robot validation (pretrained)', b.robotValidation, VALIDATION_SEED),
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

    const ft = await stage<FinetuneStage>('finetune', 'fine-tune on the robot demonstrations', finetuned, async () => {
      // `sim2real finetune` as a user runs it, co-training with the sim demonstrations at the recipe's fraction.
      const config = {
        policy: pretrained,
        data: realDemos,
        out: finetuneDir,
        mode: 'bc' as const,
        simData: pre.demos,
        simFraction: b.finetuneSimFraction,
        epochs: b.finetuneEpochs,
        workers: o.workers,
      };
      // A killed fine-tuning continues from its checkpoint.
      const resume = o.resume && existsSync(join(finetuneDir, 'config.json'));
      const report = await finetuneRun(config, { resume, hooks: o.hooks });
      const ran = new RunDir(report.run).readJson<{
        loopDelay: { steps: number; estimated: boolean } | null;
        target: { trainEpisodes: number; valEpisodes: number };
      }>('config.json');
      const split = { trainEpisodes: ran?.target.trainEpisodes ?? 0, valEpisodes: ran?.target.valEpisodes ?? 0 };
      const assumed = new RunDir(pretrained).readJson<{ delayCompensation?: { steps: number } }>('policy.json')
        ?.delayCompensation?.steps;
      // A delay-compensating policy had the robot's delay estimated; the run records none when it came out 0.
      if (!assumed) return { loopDelay: null, ...split };
      const estimated = ran?.loopDelay?.steps ?? 0;
      log(
        `   robot loop delay estimated from the demonstrations: ${estimated} control steps; the policy was trained for ${assumed}`,
      );
      return { loopDelay: { assumed, estimated }, ...split };
    });

    const valFinetuned = await stage(
      'validationFinetuned',
      'deploy the fine-tuned policy to the running server, run the held-out validation episodes',
      recordings,
      () => onRobot(finetuned, 'robot validation (fine-tuned)', b.robotValidation, VALIDATION_SEED),
    );
    const choice = chooseDeployed(valPretrained, valFinetuned);
    const robotFinetuned = await stage(
      'robotFinetuned',
      'test the deployed policy on the robot',
      recordings,
      async () => {
        log(`   ${choice.reason}`);
        // The pretrained policy's test is the zero-shot one, on the same seeds.
        if (choice.deployed === 'pretrained') return robotZeroShot;
        return onRobot(finetuned, 'robot fine-tuned', b.robotEval, ROBOT_SEED);
      },
    );
    return {
      robotNominalOnly,
      robotZeroShot,
      robotFinetuned,
      validation: {
        seed: VALIDATION_SEED,
        pretrained: valPretrained,
        finetuned: valFinetuned,
        deployed: choice.deployed,
        reason: choice.reason,
      },
      realDemos: {
        episodes: real.episodes,
        successes: real.successes,
        trainEpisodes: ft.trainEpisodes,
        valEpisodes: ft.valEpisodes,
      },
      finetuneRun: finetuneDir,
      loopDelay: ft.loopDelay,
      recordings,
    };
  } finally {
    await link.close();
  }
}
