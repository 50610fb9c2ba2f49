/**
 * The transfer benchmark: success on the emulated robot (a reality profile, the physics `robot
 * emulate` runs) of
 *   (a) a policy pretrained in nominal sim only,
 *   (b) one pretrained with the scenario's domain randomization,
 *   (c) (b) fine-tuned on N real episodes (expert demonstrations recorded on the robot),
 *   (d) a policy trained from scratch on the same N real episodes only,
 *   (e) (b) with only its observation normaliser re-estimated on the N episodes' (unlabelled) observations,
 * for N in `sizes`, each evaluated on the same seeded episodes with a Wilson 95% interval; (a) and (b)
 * also in nominal sim, so the reality gap shows. Real episodes are recorded `draws` times (other
 * seeds) and rows (c)-(e) pool the draws, listing each draw's success. Pretraining is the recipe a
 * user runs (`collect --expert-noise` → `train --algo bc [--dagger-rounds]`, i.e. trainBc);
 * fine-tuning uses the defaults of `sim2real finetune` with (b)'s demonstrations as the co-training
 * data, at the recipe's co-training fraction; a recipe that compensates delay has (c) and (d)
 * compensate the robot's loop delay estimated from their real episodes, (e) keep (b)'s.
 *
 * With `out`, every finished stage is logged (OUT/<scenario>/transfer-stages.json) and `resume`
 * continues a killed run from there. `npm run bench -- transfer` runs it.
 */
import { loadRapier } from '../../sim/rapier.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../sim/scenario-file.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import { checkRealityFor, loadReality, probeReality, type Reality } from '../../sim/reality.js';
import { InputError } from '../../errors.js';
import { DEFAULT_REAL_SEED, recordRealDemos, type RealDemoMode } from '../../collect/real-demos.js';
import type { SuccessStats } from '../../episodes/summary.js';
import { initBackend } from '../../policy/models/backend.js';
import { loadDataset, type Dataset } from '../../policy/data/dataset.js';
import { BC_DEFAULTS, trainBC } from '../../policy/bc/bc.js';
import { finetune } from '../../policy/finetune/finetune.js';
import { robotCompensation } from '../../policy/finetune/robot-delay.js';
import type { GaussianMlpPolicy } from '../../policy/models/gaussian-policy.js';
import { loadPolicyDir } from '../../policy/checkpoints/policy-dir.js';
import { StageLog } from '../../runs/stage-log.js';
import { withDefaults, type RunHooks } from '../../ui/run-hooks.js';
import { RECIPES, type Recipe } from '../recipes.js';
import { evaluateWithProgress } from '../evaluate-progress.js';
import { epochProgress, pretrainVariant } from './pretrain.js';
import { goals, pooledRow, type GoalCheck, type TransferRow, type Variant } from './rows.js';
import { formatPercent as pct } from '../../ui/percent.js';

const SHIPPED_SCENARIOS = ['scenarios/grasp-cube.yaml', 'scenarios/navigate-obstacles.yaml'];

/** What to run; plain data (a resumed run keeps the one it started with). */
export interface TransferConfig {
  /** Scenario files (default: the shipped ones, or the one a given `reality` profile belongs to). */
  scenarios?: string[];
  /** Reality profile file (default: scenarios/reality/<scenario>.yaml). */
  reality?: string;
  /** Evaluation episodes per row (default 200). */
  episodes?: number;
  /** Numbers of real episodes (default 5, 20, 50). */
  sizes?: number[];
  /** Independent recordings of real episodes; rows (c)-(e) pool them (default 3). */
  draws?: number;
  /** Who drives while real episodes are recorded (default expert). */
  realMode?: RealDemoMode;
  /** Worker threads for collection and evaluation (default 2). */
  workers?: number;
  /** Keep demonstrations, real episodes, policies and the stage log here (default: a temporary directory, removed). */
  out?: string;
  /** Override parts of the pretraining recipe (tests use tiny budgets). */
  recipe?: Partial<Recipe>;
  /** Maximum fine-tuning / from-scratch epochs (default: the library defaults). */
  epochs?: number;
}

export interface TransferRunOptions {
  /** Continue the killed run in `out` (needs `out`). */
  resume?: boolean;
  hooks?: RunHooks;
}

export interface TransferScenarioReport {
  scenario: string;
  scenarioFile: string;
  reality: string;
  realityFile: string;
  recipe: Recipe;
  realMode: RealDemoMode;
  evalEpisodes: number;
  /** Recordings of real episodes pooled in rows (c)-(e). */
  draws: number;
  /** Delay compensation (recipes with `compensateDelay`): (b)'s prior and the loop delays (c)/(d) estimated, per draw and N; control steps. */
  loopDelay: { prior: number; estimated: number[] } | null;
  rows: TransferRow[];
  goals: GoalCheck[];
  seconds: number;
}

/** Seeds of real-episode draw k start at DEFAULT_REAL_SEED + k · REAL_DRAW_STRIDE. */
const REAL_DRAW_STRIDE = 10_000;
const STAGE_LOG = 'transfer-stages.json';

const successStats = (s: SuccessStats): SuccessStats => ({
  episodes: s.episodes,
  successes: s.successes,
  successRate: s.successRate,
  successCi95: s.successCi95,
  meanReturn: s.meanReturn,
  meanLength: s.meanLength,
});

type Run = { scenarioFile: string; sc: Scenario; realityFile: string; reality: Reality };

/** Scenario and reality files to run, checked before any work starts. */
export function resolveRuns(opts: Pick<TransferConfig, 'scenarios' | 'reality'>): Run[] {
  const given = opts.reality ? loadReality(opts.reality) : null;
  const files = opts.scenarios?.length
    ? opts.scenarios
    : given
      ? [`scenarios/${given.scenario}.yaml`]
      : SHIPPED_SCENARIOS;
  return files.map((scenarioFile) => {
    const sc = loadScenario(scenarioFile);
    const realityFile = opts.reality ?? `scenarios/reality/${sc.name}.yaml`;
    const reality = given ?? loadReality(realityFile);
    checkRealityFor(reality, sc, realityFile, `the scenario of ${scenarioFile}`);
    return { scenarioFile, sc, realityFile, reality };
  });
}

type Resolved = Required<Pick<TransferConfig, 'episodes' | 'sizes' | 'draws' | 'realMode' | 'workers'>> &
  TransferConfig & { root: string; resume: boolean; hooks: Required<RunHooks> };

export async function runTransfer(
  config: TransferConfig = {},
  opts: TransferRunOptions = {},
): Promise<TransferScenarioReport[]> {
  if (opts.resume && !config.out)
    throw new InputError('--resume: expected --out, the directory of the run to continue');
  const runs = resolveRuns(config);
  const episodes = config.episodes ?? 200;
  const sizes = [...new Set(config.sizes ?? [5, 20, 50])].sort((a, b) => a - b);
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new InputError(`--episodes: expected a positive integer, got ${episodes}`);
  if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 2))
    throw new InputError(
      `--sizes: expected integers ≥ 2 (a real split needs a training and a validation episode), got ${sizes.join(',')}`,
    );
  const draws = config.draws ?? 3;
  if (!Number.isInteger(draws) || draws < 1) throw new InputError(`--draws: expected a positive integer, got ${draws}`);
  const realMode = config.realMode ?? 'expert';
  if (realMode !== 'expert' && realMode !== 'dagger')
    throw new InputError(`--real-mode: expected expert | dagger, got "${realMode}"`);
  await initBackend();
  // Every robot's world is built once before any training: a profile its engine refuses fails now.
  const R = await loadRapier();
  for (const run of runs) await probeReality(R, run.sc, run.reality, run.realityFile);
  const root = config.out ?? mkdtempSync(join(tmpdir(), 'sim2real-transfer-'));
  const resolved: Resolved = {
    ...config,
    episodes,
    sizes,
    draws,
    realMode,
    workers: config.workers ?? 2,
    root,
    resume: opts.resume === true,
    hooks: withDefaults(opts.hooks),
  };
  const reports: TransferScenarioReport[] = [];
  try {
    for (const run of runs) reports.push(await benchScenario(run, resolved));
  } finally {
    if (!config.out) rmSync(root, { recursive: true, force: true });
  }
  return reports;
}

interface Timed {
  stats: SuccessStats;
  seconds: number;
}

async function benchScenario(run: Run, o: Resolved): Promise<TransferScenarioReport> {
  const t0 = performance.now();
  const { sc, reality, realityFile } = run;
  const recipe = { ...RECIPES[sc.task], ...o.recipe };
  const dir = join(o.root, sc.name);
  const logPath = join(dir, STAGE_LOG);
  if (!o.resume && existsSync(logPath))
    throw new InputError(
      `${dir}: expected a new run directory, got a transfer run in it (use --resume to continue it, or another --out)`,
    );
  const stages = StageLog.open(
    logPath,
    { scenario: run.scenarioFile, recipe, episodes: o.episodes, sizes: o.sizes, draws: o.draws, realMode: o.realMode },
    o.resume,
  );
  const stage = async <T>(key: string, f: () => Promise<T>): Promise<T> => {
    const done = stages.finished<T>(key);
    if (done) return done.result;
    const t = performance.now();
    const r = await f();
    stages.save(key, { stage: key, seconds: (performance.now() - t) / 1000, artefact: dir }, r);
    return r;
  };
  const { hooks } = o;
  const rows: TransferRow[] = [];
  hooks.note(
    `transfer ${sc.name} on ${reality.name} (${realityFile}): ${recipe.simDemos} sim demos, ${recipe.daggerRounds} DAgger rounds, N = ${o.sizes.join(', ')} real episodes in ${o.draws} draws, ${o.episodes} evaluation episodes per row and draw`,
  );

  const evalOnce = async (
    label: string,
    policy: GaussianMlpPolicy,
    where: TransferRow['where'],
  ): Promise<SuccessStats> =>
    successStats(
      await evaluateWithProgress(
        policy,
        sc,
        { episodes: o.episodes, workers: o.workers, reality: where === 'robot' ? realityFile : undefined },
        hooks,
        `eval ${label} (${where})`,
      ),
    );
  const addRow = (
    variant: Variant,
    what: string,
    where: TransferRow['where'],
    realEpisodes: number | null,
    parts: SuccessStats[],
    seconds: number,
  ): void => {
    const row = pooledRow(variant, what, where, realEpisodes, parts, seconds);
    rows.push(row);
    const spread = row.perDraw && row.perDraw.length > 1 ? `, draws ${row.perDraw.map(pct).join(' ')}` : '';
    hooks.note(
      `  (${variant}) ${what}${realEpisodes ? `, N = ${realEpisodes}` : ''} [${where}]: ${pct(row.successRate)} (95% CI ${pct(row.successCi95![0])}–${pct(row.successCi95![1])}${spread})`,
    );
  };

  // (a) and (b): the same recipe, without and with domain randomization.
  const pre = {} as Record<'a' | 'b', { policy: GaussianMlpPolicy; demos: Dataset }>;
  try {
    for (const [variant, randomize] of [
      ['a', false],
      ['b', true],
    ] as const) {
      const variantDir = join(dir, `pretrain-${variant}`);
      await stage(`pretrain-${variant}`, async () => {
        await pretrainVariant(run, randomize, recipe, variantDir, { workers: o.workers, resume: o.resume, hooks });
        return {};
      });
      pre[variant] = await loadPretrained(run, variantDir);
      const what = randomize ? 'pretrained with domain randomization' : 'pretrained in nominal sim';
      const pretrainSeconds = stages.finished(`pretrain-${variant}`)!.record.seconds;
      for (const where of ['nominal sim', 'robot'] as const) {
        const r = await stage(`${variant} ${where}`, async (): Promise<Timed> => {
          const t = performance.now();
          const stats = await evalOnce(variant, pre[variant].policy, where);
          return { stats, seconds: (performance.now() - t) / 1000 + (where === 'robot' ? 0 : pretrainSeconds) };
        });
        addRow(variant, what, where, null, [r.stats], r.seconds);
      }
    }
    const { real, delays } = await realEpisodeRows(run, o, recipe, pre.b, stage, evalOnce);
    addRow(
      'recording',
      o.realMode === 'dagger'
        ? '(b) driving the recorded real episodes (expert labels)'
        : 'the scripted expert (true state) recording the real episodes',
      'robot',
      Math.max(...o.sizes),
      real.get('recording')!.stats,
      real.get('recording')!.seconds,
    );
    for (const n of o.sizes) {
      for (const [v, what] of [
        ['c', '(b) fine-tuned on the real episodes'],
        ['d', 'trained from scratch on the real episodes only'],
        ['e', '(b) with its normaliser re-estimated on the real observations'],
      ] as const) {
        const p = real.get(`${v}${n}`)!;
        addRow(v, what, 'robot', n, p.stats, p.seconds);
      }
    }
    const b = pre.b.policy;
    return {
      scenario: sc.name,
      scenarioFile: run.scenarioFile,
      reality: reality.name,
      realityFile,
      recipe,
      realMode: o.realMode,
      evalEpisodes: o.episodes,
      draws: o.draws,
      loopDelay: b.delayCompensation.steps > 0 ? { prior: b.delayCompensation.steps, estimated: delays } : null,
      rows,
      goals: goals(rows),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    pre.a?.policy.dispose();
    pre.b?.policy.dispose();
  }
}

async function loadPretrained(run: Run, variantDir: string): Promise<{ policy: GaussianMlpPolicy; demos: Dataset }> {
  const { policy } = await loadPolicyDir(join(variantDir, 'policy'));
  const demos = await loadDataset(join(variantDir, 'demos'), { valFraction: 0.1, seed: 0, contract: run.sc.contract });
  return { policy, demos };
}

/**
 * Real episodes: `draws` recordings of maxN episodes (other seeds each); N = n uses the first n of a
 * recording's seeded split (nested sets). Which few episodes were recorded moves (c)-(e) by many
 * points, so every such row pools its draws (and lists them).
 */
async function realEpisodeRows(
  run: Run,
  o: Resolved,
  recipe: Recipe,
  pretrainedB: { policy: GaussianMlpPolicy; demos: Dataset },
  stage: <T>(key: string, f: () => Promise<T>) => Promise<T>,
  evalOnce: (label: string, policy: GaussianMlpPolicy, where: TransferRow['where']) => Promise<SuccessStats>,
): Promise<{ real: Map<string, { stats: SuccessStats[]; seconds: number }>; delays: number[] }> {
  const { sc, reality, realityFile } = run;
  const b = pretrainedB.policy;
  const maxN = Math.max(...o.sizes);
  const contractOf = { contract: sc.contract, contractOf: `${run.scenarioFile} (scenario ${sc.name})` };
  const parts = new Map<string, { stats: SuccessStats[]; seconds: number }>();
  const keep = (key: string, t: Timed) => {
    const p = parts.get(key) ?? { stats: [], seconds: 0 };
    p.stats.push(t.stats);
    p.seconds += t.seconds;
    parts.set(key, p);
  };
  /** Loop delays estimated from the real episodes, per draw and N (recipes that compensate delay). */
  const delays: number[] = [];
  for (let k = 0; k < o.draws; k++) {
    const realDir = join(o.root, sc.name, `real-${k}`);
    keep(
      'recording',
      await stage(`recording ${k}`, async (): Promise<Timed> => {
        // A killed recording left some episodes: record them all again.
        if (o.resume) rmSync(realDir, { recursive: true, force: true });
        const bar = o.hooks.progress(`real episodes, draw ${k + 1}/${o.draws} (${o.realMode} drives)`, maxN, 'ep');
        const t = performance.now();
        try {
          const real = await recordRealDemos({
            scenario: sc,
            reality,
            realityFile,
            episodes: maxN,
            out: realDir,
            seed: DEFAULT_REAL_SEED + k * REAL_DRAW_STRIDE,
            mode: o.realMode,
            policy: o.realMode === 'dagger' ? b : undefined,
            sceneEvery: 0,
            onEpisode: (e) => bar.tick(1, e.success ? 'success' : 'failure'),
          });
          return { stats: successStats(real), seconds: (performance.now() - t) / 1000 };
        } finally {
          bar.stop();
        }
      }),
    );
    for (const n of o.sizes) {
      const r = await stage(`draw ${k} N ${n}`, async () => {
        // (c) and (d) compensate the robot's loop delay estimated from these episodes (when the recipe
        // compensates); (e) keeps (b)'s.
        const estimated: number[] = [];
        const split = { valFraction: 0.2, seed: 0, maxEpisodes: n, ...contractOf };
        const target = await loadDataset(realDir, {
          ...split,
          compensate: robotCompensation(b.delayCompensation, 'bc', undefined, (e) => estimated.push(e.steps)),
        });
        let since = performance.now();
        let eb = epochProgress(o.hooks, `finetune (b) N=${n}`, o.epochs);
        const ft = await finetune({
          policy: b,
          target,
          simData: pretrainedB.demos.train,
          simFraction: recipe.finetuneSimFraction,
          pretrainLr: BC_DEFAULTS.lr,
          epochs: o.epochs,
          seed: 0,
          onProgress: eb.tick,
        });
        eb.stop();
        const c: Timed = { stats: await evalOnce(`c N=${n}`, ft.policy, 'robot'), seconds: 0 };
        c.seconds = (performance.now() - since) / 1000;
        ft.policy.dispose();

        since = performance.now();
        eb = epochProgress(o.hooks, `from scratch N=${n}`, o.epochs);
        const scratch = await trainBC({
          data: target,
          contract: sc.contract,
          epochs: o.epochs,
          policyId: `bc-${sc.name}-real-${n}`,
          delayCompensation: target.delayCompensation,
          onProgress: eb.tick,
        });
        eb.stop();
        const d: Timed = { stats: await evalOnce(`d N=${n}`, scratch.policy, 'robot'), seconds: 0 };
        d.seconds = (performance.now() - since) / 1000;
        scratch.policy.dispose();

        since = performance.now();
        // Read again only when (b) compensates: (e) keeps (b)'s delay where (c) took the estimate.
        const unlabelled =
          b.delayCompensation.steps > 0
            ? await loadDataset(realDir, {
                ...split,
                compensate: robotCompensation(b.delayCompensation, 'normalizer-only'),
              })
            : target;
        const norm = await finetune({ policy: b, target: unlabelled, mode: 'normalizer-only' });
        const e: Timed = { stats: await evalOnce(`e N=${n}`, norm.policy, 'robot'), seconds: 0 };
        e.seconds = (performance.now() - since) / 1000;
        norm.policy.dispose();
        return { c, d, e, estimated };
      });
      keep(`c${n}`, r.c);
      keep(`d${n}`, r.d);
      keep(`e${n}`, r.e);
      delays.push(...r.estimated);
    }
  }
  if (delays.length)
    o.hooks.note(
      `  robot loop delay estimated from the real episodes (per draw and N): ${delays.join(' ')} control steps; (b) was trained to compensate ${b.delayCompensation.steps}`,
    );
  return { real: parts, delays };
}
