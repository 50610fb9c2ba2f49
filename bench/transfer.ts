/**
 * Transfer benchmark: success on the emulated robot (a reality profile, the physics `robot emulate`
 * runs) of
 *   (a) a policy pretrained in nominal sim only,
 *   (b) one pretrained with the scenario's domain randomization,
 *   (c) (b) fine-tuned on N real episodes (expert demonstrations recorded on the robot),
 *   (d) a policy trained from scratch on the same N real episodes only,
 *   (e) (b) with only its observation normaliser re-estimated on the N episodes' (unlabelled) observations,
 * for N in `sizes`, each evaluated on the same seeded episodes with a Wilson 95% interval; (a) and (b)
 * also in nominal sim, so the reality gap shows. Real episodes are recorded `draws` times (other
 * seeds) and rows (c)-(e) pool the draws, listing each draw's success. Pretraining is the recipe a user runs
 * (`collect --expert-noise` → `train --algo bc [--dagger-rounds]`); fine-tuning uses the defaults of
 * `sim2real finetune` (src/policy/finetune.ts) with (b)'s demonstrations as the co-training data, at the
 * recipe's co-training fraction; a recipe that compensates delay has (c) and (d) compensate the robot's
 * loop delay estimated from their real episodes, (e) keep (b)'s.
 *
 * Run: `npm run bench -- transfer [--scenario FILE]... [--reality FILE] [--episodes 200] [--draws 3] [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/sim/scenario-file.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import { checkRealityFor, loadReality, type Reality } from '../src/sim/reality.js';
import { InputError } from '../src/errors.js';
import { collect } from '../src/collect/collect.js';
import { DEFAULT_REAL_SEED, recordRealDemos, type RealDemoMode } from '../src/collect/real-demos.js';
import { wilson, type SuccessStats } from '../src/episodes/summary.js';
import { initBackend } from '../src/policy/models/backend.js';
import { loadDataset, type Dataset } from '../src/policy/data/dataset.js';
import { BC_DEFAULTS, trainBC, type BcProgress } from '../src/policy/bc/bc.js';
import { trainBcDagger } from '../src/policy/bc/dagger.js';
import { finetune } from '../src/policy/finetune/finetune.js';
import { evaluate, type EvaluationReport, type SuccessFields } from '../src/policy/evaluate.js';
import { saveCheckpoint } from '../src/policy/checkpoints/checkpoint.js';
import type { GaussianMlpPolicy } from '../src/policy/models/gaussian-policy.js';
import { startProgress } from '../src/ui/progress.js';
import { printTable } from './table.js';
import { RECIPES, type Recipe } from '../src/pipelines/recipes.js';
import { robotCompensation } from '../src/policy/finetune/robot-delay.js';

export const SHIPPED_SCENARIOS = ['scenarios/grasp-cube.yaml', 'scenarios/navigate-obstacles.yaml'];


export interface TransferOptions {
  /** Scenario files (default: the shipped ones, or the one a given --reality profile belongs to). */
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
  /** Keep demonstrations, real episodes and policies here (default: a temporary directory, removed). */
  out?: string;
  /** Override parts of the pretraining recipe (tests use tiny budgets). */
  recipe?: Partial<Recipe>;
  /** Maximum fine-tuning / from-scratch epochs (default: the library defaults). */
  epochs?: number;
  /** No progress output (for --json). */
  json?: boolean;
  /** Progress lines (default: stderr unless json). */
  log?: (line: string) => void;
}

export type Variant = 'a' | 'b' | 'c' | 'd' | 'e' | 'recording';

export interface TransferRow extends SuccessFields {
  variant: Variant;
  what: string;
  /** Real episodes used (c, d, e), else null. */
  realEpisodes: number | null;
  /** Success rate in each draw of real episodes (c, d, e and the recording), else null. */
  perDraw: number[] | null;
  where: 'nominal sim' | 'robot';
  /** Training (or adaptation) plus evaluation wall time, s. */
  seconds: number;
}

export interface GoalCheck {
  goal: string;
  value: number | null;
  target: string;
  met: boolean | null;
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

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

/** Seeds of real-episode draw k start at DEFAULT_REAL_SEED + k · REAL_DRAW_STRIDE. */
const REAL_DRAW_STRIDE = 10_000;

/** One row from one or more evaluations (draws): episodes pooled, Wilson interval of the pooled count. */
function pooledRow(variant: Variant, what: string, where: TransferRow['where'], realEpisodes: number | null, parts: SuccessStats[], seconds: number): TransferRow {
  const episodes = parts.reduce((n, p) => n + p.episodes, 0);
  const successes = parts.reduce((n, p) => n + p.successes, 0);
  const weighted = (f: (p: SuccessStats) => number) => parts.reduce((s, p) => s + f(p) * p.episodes, 0) / episodes;
  return {
    variant,
    what,
    realEpisodes,
    where,
    episodes,
    successRate: successes / episodes,
    successCi95: wilson(successes, episodes),
    meanReturn: weighted((p) => p.meanReturn),
    meanLength: weighted((p) => p.meanLength),
    perDraw: realEpisodes === null ? null : parts.map((p) => p.successRate),
    seconds,
  };
}

/** Scenario and reality files to run, checked before any work starts. */
export function resolveRuns(opts: Pick<TransferOptions, 'scenarios' | 'reality'>): { scenarioFile: string; sc: Scenario; realityFile: string; reality: Reality }[] {
  const given = opts.reality ? loadReality(opts.reality) : null;
  const files = opts.scenarios?.length ? opts.scenarios : given ? [`scenarios/${given.scenario}.yaml`] : SHIPPED_SCENARIOS;
  return files.map((scenarioFile) => {
    const sc = loadScenario(scenarioFile);
    const realityFile = opts.reality ?? `scenarios/reality/${sc.name}.yaml`;
    const reality = given ?? loadReality(realityFile);
    checkRealityFor(reality, sc, realityFile, `the scenario of ${scenarioFile}`);
    return { scenarioFile, sc, realityFile, reality };
  });
}

export async function benchTransfer(opts: TransferOptions = {}): Promise<TransferScenarioReport[]> {
  const runs = resolveRuns(opts);
  const episodes = opts.episodes ?? 200;
  const sizes = [...new Set(opts.sizes ?? [5, 20, 50])].sort((a, b) => a - b);
  if (!Number.isInteger(episodes) || episodes < 1) throw new InputError(`--episodes: expected a positive integer, got ${episodes}`);
  if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new InputError(`--sizes: expected integers ≥ 2 (a real split needs a training and a validation episode), got ${sizes.join(',')}`);
  const draws = opts.draws ?? 3;
  if (!Number.isInteger(draws) || draws < 1) throw new InputError(`--draws: expected a positive integer, got ${draws}`);
  const realMode = opts.realMode ?? 'expert';
  if (realMode !== 'expert' && realMode !== 'dagger') throw new InputError(`--real-mode: expected expert | dagger, got "${realMode}"`);
  const workers = opts.workers ?? 2;
  const log = opts.log ?? (opts.json ? () => {} : (l: string) => process.stderr.write(`${l}\n`));
  await initBackend();
  const root = opts.out ?? mkdtempSync(join(tmpdir(), 'sim2real-transfer-'));
  const reports: TransferScenarioReport[] = [];
  try {
    for (const run of runs) reports.push(await benchScenario(run, { ...opts, episodes, sizes, draws, realMode, workers, log, root }));
  } finally {
    if (!opts.out) rmSync(root, { recursive: true, force: true });
  }
  return reports;
}

export function printTransfer(reports: TransferScenarioReport[], json: boolean): void {
  if (json) console.log(JSON.stringify(reports, null, 2));
  else for (const r of reports) printReport(r);
}

type Run = ReturnType<typeof resolveRuns>[number];
type Resolved = TransferOptions & { episodes: number; sizes: number[]; draws: number; realMode: RealDemoMode; workers: number; log: (l: string) => void; root: string };

async function benchScenario(run: Run, o: Resolved): Promise<TransferScenarioReport> {
  const t0 = performance.now();
  const { sc, reality, realityFile } = run;
  const recipe = { ...RECIPES[sc.task], ...o.recipe };
  const dir = join(o.root, sc.name);
  const quiet = o.json === true;
  const rows: TransferRow[] = [];
  o.log(`transfer ${sc.name} on ${reality.name} (${realityFile}): ${recipe.simDemos} sim demos, ${recipe.daggerRounds} DAgger rounds, N = ${o.sizes.join(', ')} real episodes in ${o.draws} draws, ${o.episodes} evaluation episodes per row and draw`);

  const evalOnce = async (label: string, policy: GaussianMlpPolicy, where: TransferRow['where']): Promise<EvaluationReport> => {
    const bar = startProgress(`eval ${label} (${where})`, o.episodes, { unit: 'ep', quiet });
    let ok = 0;
    const r = await evaluate(policy, sc, {
      episodes: o.episodes,
      workers: o.workers,
      reality: where === 'robot' ? realityFile : undefined,
      onEpisode: (e) => bar.tick(1, `success ${(ok += e.success ? 1 : 0)}`),
    });
    bar.stop();
    return r;
  };
  const addRow = (variant: Variant, what: string, where: TransferRow['where'], realEpisodes: number | null, parts: SuccessStats[], seconds: number): void => {
    const row = pooledRow(variant, what, where, realEpisodes, parts, seconds);
    rows.push(row);
    const spread = row.perDraw && row.perDraw.length > 1 ? `, draws ${row.perDraw.map(pct).join(' ')}` : '';
    o.log(`  (${variant}) ${what}${realEpisodes ? `, N = ${realEpisodes}` : ''} [${where}]: ${pct(row.successRate)} (95% CI ${pct(row.successCi95![0])}–${pct(row.successCi95![1])}${spread})`);
  };

  // (a) and (b): the same recipe, without and with domain randomization.
  const pre: Record<'a' | 'b', { policy: GaussianMlpPolicy; demos: Dataset }> = {} as never;
  for (const [variant, randomize] of [['a', false], ['b', true]] as const) {
    const t = performance.now();
    pre[variant] = await pretrain(sc, randomize, recipe, join(dir, `pretrain-${variant}`), o, quiet);
    const what = randomize ? 'pretrained with domain randomization' : 'pretrained in nominal sim';
    for (const where of ['nominal sim', 'robot'] as const) {
      const since = where === 'robot' ? performance.now() : t;
      addRow(variant, what, where, null, [await evalOnce(variant, pre[variant].policy, where)], (performance.now() - since) / 1000);
    }
  }
  const b = pre.b.policy;

  // Real episodes: `draws` recordings of maxN episodes (other seeds each); N = n uses the first n of
  // a recording's seeded split (nested sets). Which few episodes were recorded moves (c)-(e) by many
  // points, so every such row pools its draws (and lists them).
  const maxN = o.sizes[o.sizes.length - 1];
  const contractOf = { contract: sc.contract, contractOf: `${run.scenarioFile} (scenario ${sc.name})` };
  const parts = new Map<string, { stats: SuccessStats[]; seconds: number }>();
  const keep = (key: string, stats: SuccessStats, seconds: number) => {
    const p = parts.get(key) ?? { stats: [], seconds: 0 };
    p.stats.push(stats);
    p.seconds += seconds;
    parts.set(key, p);
  };
  /** Loop delays estimated from the real episodes, per draw and N (recipes that compensate delay). */
  const delays: number[] = [];
  for (let k = 0; k < o.draws; k++) {
    const realDir = join(dir, `real-${k}`);
    const bar = startProgress(`real episodes, draw ${k + 1}/${o.draws} (${o.realMode} drives)`, maxN, { unit: 'ep', quiet });
    let since = performance.now();
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
    bar.stop();
    keep('recording', real, (performance.now() - since) / 1000);
    for (const n of o.sizes) {
      // (c) and (d) compensate the robot's loop delay estimated from these episodes (when the recipe
      // compensates); (e) keeps (b)'s.
      const split = { valFraction: 0.2, seed: 0, maxEpisodes: n, ...contractOf };
      const target = await loadDataset(realDir, { ...split, compensate: robotCompensation(b.delayCompensation, 'bc', undefined, (e) => delays.push(e.steps)) });
      since = performance.now();
      let eb = epochBar(`finetune (b) N=${n}`, o.epochs, quiet);
      const ft = await finetune({ policy: b, target, simData: pre.b.demos.train, simFraction: recipe.finetuneSimFraction, pretrainLr: BC_DEFAULTS.lr, epochs: o.epochs, seed: 0, onProgress: eb.tick });
      eb.stop();
      keep(`c${n}`, await evalOnce(`c N=${n}`, ft.policy, 'robot'), (performance.now() - since) / 1000);
      ft.policy.dispose();

      since = performance.now();
      eb = epochBar(`from scratch N=${n}`, o.epochs, quiet);
      const scratch = await trainBC({ data: target, contract: sc.contract, epochs: o.epochs, policyId: `bc-${sc.name}-real-${n}`, delayCompensation: target.delayCompensation, onProgress: eb.tick });
      eb.stop();
      keep(`d${n}`, await evalOnce(`d N=${n}`, scratch.policy, 'robot'), (performance.now() - since) / 1000);
      scratch.policy.dispose();

      since = performance.now();
      // Read again only when (b) compensates: (e) keeps (b)'s delay where (c) took the estimate.
      const unlabelled = b.delayCompensation.steps > 0 ? await loadDataset(realDir, { ...split, compensate: robotCompensation(b.delayCompensation, 'normalizer-only') }) : target;
      const norm = await finetune({ policy: b, target: unlabelled, mode: 'normalizer-only' });
      keep(`e${n}`, await evalOnce(`e N=${n}`, norm.policy, 'robot'), (performance.now() - since) / 1000);
      norm.policy.dispose();
    }
  }
  if (delays.length) o.log(`  robot loop delay estimated from the real episodes (per draw and N): ${delays.join(' ')} control steps; (b) was trained to compensate ${b.delayCompensation.steps}`);
  const recording = parts.get('recording')!;
  addRow('recording', o.realMode === 'dagger' ? '(b) driving the recorded real episodes (expert labels)' : 'the scripted expert (true state) recording the real episodes', 'robot', maxN, recording.stats, recording.seconds);
  for (const n of o.sizes) {
    for (const [v, what] of [
      ['c', '(b) fine-tuned on the real episodes'],
      ['d', 'trained from scratch on the real episodes only'],
      ['e', '(b) with its normaliser re-estimated on the real observations'],
    ] as const) {
      const p = parts.get(`${v}${n}`)!;
      addRow(v, what, 'robot', n, p.stats, p.seconds);
    }
  }
  pre.a.policy.dispose();
  b.dispose();
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
}

/** Collect demonstrations and clone them (with DAgger rounds), as `collect` + `train --algo bc` do. */
async function pretrain(sc: Scenario, randomize: boolean, recipe: Recipe, dir: string, o: Resolved, quiet: boolean): Promise<{ policy: GaussianMlpPolicy; demos: Dataset }> {
  const label = randomize ? 'randomized sim' : 'nominal sim';
  const cbar = startProgress(`collect ${sc.name} (${label})`, recipe.simDemos, { unit: 'ep', quiet });
  await collect({ scenario: sc, episodes: recipe.simDemos, out: join(dir, 'demos'), workers: o.workers, randomize, expertNoise: recipe.expertNoise, compensateDelay: recipe.compensateDelay, sceneEvery: 0, onEpisode: () => cbar.tick(1) });
  cbar.stop();
  const demos = await loadDataset(join(dir, 'demos'), { valFraction: 0.1, seed: 0, contract: sc.contract });
  const total = recipe.epochs * (recipe.daggerRounds + 1);
  const tbar = startProgress(`bc ${sc.name} (${label})`, total, { unit: 'epoch', quiet });
  let shown = 0;
  const { policy } = await trainBcDagger({
    scenario: sc,
    data: demos,
    contract: sc.contract,
    epochs: recipe.epochs,
    rounds: recipe.daggerRounds,
    episodesPerRound: recipe.daggerEpisodes,
    randomize,
    compensateDelay: recipe.compensateDelay,
    delayCompensation: demos.delayCompensation.steps > 0 ? demos.delayCompensation : undefined,
    dataDir: join(dir, 'dagger'),
    policyId: `bc-${sc.name}-${randomize ? 'dr' : 'nominal'}`,
    onProgress: (p) => {
      const at = p.round * recipe.epochs + p.epoch;
      tbar.tick(at - shown, `val ${p.valLoss.toExponential(2)}${recipe.daggerRounds ? ` round ${p.round}/${recipe.daggerRounds}` : ''}`);
      shown = at;
    },
    onRound: (r) => o.log(`  DAgger round ${r.round} (${label}): the policy succeeded in ${r.episodes ? pct(r.successRate) : '–'} of ${r.episodes} episodes`),
  });
  tbar.tick(total - shown, 'done');
  tbar.stop();
  await saveCheckpoint(join(dir, 'policy'), policy, { scenario: sc, training: { algo: 'bc', bc: { lr: BC_DEFAULTS.lr }, recipe: { ...recipe }, randomize }, metrics: null });
  return { policy, demos };
}

/** Epoch progress of a training run that may stop early (the bar then ends at the epoch it stopped). */
function epochBar(label: string, epochs: number | undefined, quiet: boolean): { tick: (p: BcProgress) => void; stop: () => void } {
  const total = epochs ?? BC_DEFAULTS.epochs;
  const bar = startProgress(label, total, { unit: 'epoch', quiet });
  let shown = 0;
  let status = '';
  return {
    tick: (p) => {
      status = `val ${p.valLoss.toExponential(2)} best @${p.bestEpoch}`;
      bar.tick(p.epoch - shown, status);
      shown = p.epoch;
    },
    stop: () => {
      bar.tick(total - shown, `${status}, stopped at epoch ${shown}`);
      bar.stop();
    },
  };
}

const rate = (rows: TransferRow[], v: Variant, where: TransferRow['where'], n: number | null = null) => rows.find((r) => r.variant === v && r.where === where && r.realEpisodes === n)?.successRate ?? null;
const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : x - y);

/** The issue's goals on the shipped profiles (issue 4: the gap; issue 5: the transfer figures at N = 20). */
export function goals(rows: TransferRow[]): GoalCheck[] {
  const check = (goal: string, value: number | null, target: string, ok: (v: number) => boolean): GoalCheck => ({ goal, value, target, met: value === null ? null : ok(value) });
  return [
    check('(a) loses on the robot vs nominal sim', diff(rate(rows, 'a', 'nominal sim'), rate(rows, 'a', 'robot')), '≥ 25 points', (v) => v >= 0.25 - 1e-9),
    check('(b) beats (a) on the robot', diff(rate(rows, 'b', 'robot'), rate(rows, 'a', 'robot')), '≥ 20 points', (v) => v >= 0.2 - 1e-9),
    check('(c) at N = 20', rate(rows, 'c', 'robot', 20), '≥ 90%', (v) => v >= 0.9 - 1e-9),
    check('(c) − (d) at N = 20', diff(rate(rows, 'c', 'robot', 20), rate(rows, 'd', 'robot', 20)), '≥ 30 points', (v) => v >= 0.3 - 1e-9),
  ];
}

function printReport(r: TransferScenarioReport): void {
  console.log(`\n${r.scenario} on ${r.reality} (${r.realityFile}), ${r.evalEpisodes} evaluation episodes per row and draw, ${r.draws} draws of real episodes (${r.realMode} drives), ${r.seconds.toFixed(0)} s`);
  if (r.loopDelay) console.log(`delay compensation: (a) none, (b) and (e) ${r.loopDelay.prior} steps (training mean), (c) and (d) the robot's estimated from their real episodes: ${r.loopDelay.estimated.join(' ')}`);
  printTable(
    ['variant', 'N real', 'where', 'episodes', 'success', '95% CI', 'per draw', 'seconds'],
    r.rows.map((x) => [
      x.variant === 'recording' ? x.what : `(${x.variant}) ${x.what}`,
      x.realEpisodes === null ? '–' : String(x.realEpisodes),
      x.where,
      String(x.episodes),
      pct(x.successRate),
      x.successCi95 ? `${pct(x.successCi95[0])}–${pct(x.successCi95[1])}` : '–',
      x.perDraw ? x.perDraw.map((d) => (100 * d).toFixed(0)).join(' ') : '–',
      x.seconds,
    ]),
  );
  for (const g of r.goals) {
    const v = g.value === null ? '–' : g.goal.startsWith('(c) at') ? pct(g.value) : `${(100 * g.value).toFixed(1)} points`;
    console.log(`goal: ${g.goal} ${g.target}: ${v} — ${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met'}`);
  }
}
