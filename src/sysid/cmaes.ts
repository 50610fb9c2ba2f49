/**
 * CMA-ES (Hansen's (μ/μ_w, λ) with rank-one and rank-μ covariance updates and cumulative step-size
 * adaptation; "The CMA Evolution Strategy: A Tutorial", 2016) for system identification: fitting a
 * few dozen physics parameters to robot logs, where each evaluation is a batch of sim rollouts and
 * there is no gradient. Hand-written: no maintained CMA-ES package exists on npm.
 *
 * Ask/tell, so the caller evaluates a population however it likes (worker threads) and can save
 * `state()` between generations; `Cmaes.restore(state)` continues bit-identically, because the
 * samples of generation g come from their own stream `Rng.derive(seed, "cmaes:g")` rather than from
 * one generator whose position would have to be saved.
 *
 * The search runs in [0, 1]^n (box.ts). Bounds: a sample outside the box is clamped into it before it
 * is evaluated, and its fitness for ranking is f(clamped) plus a penalty on the squared distance it
 * stepped out. Chosen over resampling because (1) the objective only ever sees valid parameters (a
 * negative mass would fail the sim), (2) when the optimum lies on a bound about half the samples fall
 * outside, and resampling them would bias the distribution inwards and can take many rounds, while
 * clamping lands them exactly on the bound (toParams returns lo/hi themselves), and (3) the penalty
 * keeps the mean from drifting out, since f alone is flat beyond the bound. The penalty weight is set
 * per generation so that stepping one standard deviation out costs about the spread (IQR) of the
 * generation's fitnesses: large enough to matter, small enough not to swamp f (a simplified form of
 * Hansen's BoundPenalty in pycma).
 */
import { InputError } from '../errors.js';
import { Rng } from '../sim/rng.js';
import { type Bounds, checkBounds, outsideSq, toParams, toUnit } from './box.js';
import { symmetricEigen } from './eigen.js';

export interface CmaesOptions {
  seed?: number;
  /** Start point in parameter units; default the centre of the box. */
  x0?: ArrayLike<number>;
  /** Initial step size as a fraction of each parameter's range; default 0.3. */
  sigma0?: number;
  /** Population size λ; default 4 + ⌊3 ln n⌋. */
  popSize?: number;
  /** Evaluation budget: no generation starts that would exceed it. Default 1000 (n + 5)². */
  maxEvals?: number;
  /** Stop when the best fitnesses of recent generations and the current ones span less than this. Default 1e-12. */
  tolFun?: number;
  /** Stop when every coordinate's step is below this, as a fraction of its range. Default 1e-12. */
  tolX?: number;
  /** Parameter names, for error messages. */
  names?: readonly string[];
}

export type StopReason = 'budget' | 'tolfun' | 'tolx' | 'conditioncov';

export interface CmaesBest {
  /** In parameter units, inside the bounds. */
  x: Float64Array;
  f: number;
}

/** Everything a run needs to continue: plain numbers and arrays, safe through JSON. */
export interface CmaesState {
  version: 1;
  seed: number;
  lo: number[];
  hi: number[];
  names?: string[];
  lambda: number;
  maxEvals: number;
  tolFun: number;
  tolX: number;
  generation: number;
  evaluations: number;
  sigma: number;
  mean: number[];
  /** Covariance, row-major n×n. */
  C: number[];
  pc: number[];
  ps: number[];
  /** Eigenvectors of C (columns, row-major) and the square roots of its eigenvalues, as last computed. */
  B: number[];
  D: number[];
  eigenGeneration: number;
  best: { x: number[]; f: number } | null;
  /** The best finite fitness of each recent generation, oldest first. */
  history: number[];
  /** The finite fitnesses of the last generation told (the tolfun stop looks at them). */
  last: number[];
}

/** Above this condition number of C the eigen solver and the updates lose precision: stop instead. */
const MAX_CONDITION = 1e14;

export class Cmaes {
  readonly n: number;
  readonly lambda: number;
  private readonly mu: number;
  private readonly weights: Float64Array;
  private readonly mueff: number;
  private readonly cc: number;
  private readonly cs: number;
  private readonly c1: number;
  private readonly cmu: number;
  private readonly damps: number;
  private readonly chiN: number;
  private readonly eigenInterval: number;
  private readonly historyLength: number;
  /** Unit-box samples of the generation asked and not yet told (not in state: ask() redraws them). */
  private pending: Float64Array[] | null = null;

  private constructor(private readonly s: CmaesState) {
    const n = s.lo.length;
    this.n = n;
    this.lambda = s.lambda;
    this.mu = Math.floor(this.lambda / 2);
    const w = new Float64Array(this.mu);
    for (let i = 0; i < this.mu; i++) w[i] = Math.log(this.mu + 0.5) - Math.log(i + 1);
    const sum = w.reduce((a, b) => a + b, 0);
    let sq = 0;
    for (let i = 0; i < this.mu; i++) {
      w[i] /= sum;
      sq += w[i] * w[i];
    }
    this.weights = w;
    this.mueff = 1 / sq;
    const me = this.mueff;
    this.cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.cs = (me + 2) / (n + me + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + me);
    this.cmu = Math.min(1 - this.c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    // Decomposing C costs O(n³); Hansen's rule spaces it so that it stays O(n²) per evaluation.
    this.eigenInterval = Math.max(1, Math.floor(1 / ((this.c1 + this.cmu) * n * 10)));
    this.historyLength = 10 + Math.ceil((30 * n) / this.lambda);
  }

  /** A fresh optimiser over `bounds` ([lo, hi] per parameter). */
  static create(bounds: Bounds, opts: CmaesOptions = {}): Cmaes {
    checkBounds(bounds, opts.names);
    const n = bounds.length;
    const lo = bounds.map((b) => b[0]);
    const hi = bounds.map((b) => b[1]);
    const seed = opts.seed ?? 0;
    const lambda = opts.popSize ?? 4 + Math.floor(3 * Math.log(n));
    const sigma = opts.sigma0 ?? 0.3;
    const maxEvals = opts.maxEvals ?? 1000 * (n + 5) ** 2;
    const tolFun = opts.tolFun ?? 1e-12;
    const tolX = opts.tolX ?? 1e-12;
    if (!Number.isFinite(seed)) throw new InputError(`cmaes: expected a finite seed, got ${seed}`);
    if (!Number.isInteger(lambda) || lambda < 2) {
      throw new InputError(`cmaes: expected a population size of at least 2, got ${lambda}`);
    }
    if (!(sigma > 0 && Number.isFinite(sigma))) throw new InputError(`cmaes: expected sigma0 > 0, got ${sigma}`);
    if (!(maxEvals >= lambda)) {
      throw new InputError(`cmaes: expected a budget of at least one population (${lambda}), got ${maxEvals}`);
    }
    if (!(tolFun >= 0) || !(tolX >= 0)) throw new InputError(`cmaes: expected tolerances >= 0, got ${tolFun}, ${tolX}`);
    let mean: number[];
    if (opts.x0 === undefined) mean = new Array(n).fill(0.5);
    else {
      const x0 = opts.x0;
      if (x0.length !== n) throw new InputError(`cmaes: expected x0 of ${n} values, got ${x0.length}`);
      for (let i = 0; i < n; i++) {
        if (!(x0[i] >= lo[i] && x0[i] <= hi[i])) {
          throw new InputError(
            `cmaes: parameter ${opts.names?.[i] ?? i}: expected x0 within [${lo[i]}, ${hi[i]}], got ${x0[i]}`,
          );
        }
      }
      mean = [...toUnit(x0, lo, hi)];
    }
    const identity = new Array(n * n).fill(0);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    return new Cmaes({
      version: 1,
      seed,
      lo,
      hi,
      ...(opts.names ? { names: [...opts.names] } : {}),
      lambda,
      maxEvals,
      tolFun,
      tolX,
      generation: 0,
      evaluations: 0,
      sigma,
      mean,
      C: [...identity],
      pc: new Array(n).fill(0),
      ps: new Array(n).fill(0),
      B: [...identity],
      D: new Array(n).fill(1),
      eigenGeneration: 0,
      best: null,
      history: [],
      last: [],
    });
  }

  /** Continues a run from `state()` (also after JSON.stringify/parse), exactly as if never stopped. */
  static restore(state: CmaesState): Cmaes {
    checkState(state);
    return new Cmaes(structuredClone(state));
  }

  /** A copy of the full state: plain JSON. Between tell() and the next ask() is the natural point to save. */
  state(): CmaesState {
    return structuredClone(this.s);
  }

  get generation(): number {
    return this.s.generation;
  }

  get evaluations(): number {
    return this.s.evaluations;
  }

  get sigma(): number {
    return this.s.sigma;
  }

  /** Lowest finite fitness told so far and its point, or null before any. */
  get best(): CmaesBest | null {
    const b = this.s.best;
    return b && { x: Float64Array.from(b.x), f: b.f };
  }

  /** The distribution mean in parameter units (clamped): on noisy objectives a steadier estimate than `best`. */
  mean(): Float64Array {
    return toParams(Float64Array.from(this.s.mean), this.s.lo, this.s.hi);
  }

  /** The next population, in parameter units and inside the bounds. Asking again before tell() gives the same one. */
  ask(): Float64Array[] {
    const { n, s } = this;
    const rng = Rng.derive(s.seed, `cmaes:${s.generation}`);
    const pop: Float64Array[] = [];
    const z = new Float64Array(n);
    for (let k = 0; k < this.lambda; k++) {
      for (let i = 0; i < n; i++) z[i] = s.D[i] * rng.normal();
      const u = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let y = 0;
        for (let j = 0; j < n; j++) y += s.B[i * n + j] * z[j];
        u[i] = s.mean[i] + s.sigma * y;
      }
      pop.push(u);
    }
    this.pending = pop;
    return pop.map((u) => toParams(u, s.lo, s.hi));
  }

  /** The fitnesses (lower is better) of the population from ask(), in its order. NaN and ±Infinity rank last. */
  tell(fitnesses: readonly number[]): void {
    const pop = this.pending;
    if (!pop) throw new Error('cmaes: tell() without a population from ask()');
    if (fitnesses.length !== pop.length) {
      throw new Error(`cmaes: expected ${pop.length} fitnesses, got ${fitnesses.length}`);
    }
    this.pending = null;
    const { n, s } = this;
    const raw = fitnesses.map((f) => (Number.isFinite(f) ? f : Number.POSITIVE_INFINITY));
    s.last = raw.filter(Number.isFinite);
    this.recordBest(pop, raw);
    const order = this.rank(pop, raw);

    const old = s.mean.slice();
    const ys = order.slice(0, this.mu).map((k) => pop[k].map((u, i) => (u - old[i]) / s.sigma));
    const yw = new Float64Array(n);
    for (let r = 0; r < this.mu; r++) for (let i = 0; i < n; i++) yw[i] += this.weights[r] * ys[r][i];
    for (let i = 0; i < n; i++) s.mean[i] = old[i] + s.sigma * yw[i];

    // Step-size path in the isotropic frame C^(-1/2) y_w = B D^-1 Bᵀ y_w.
    const invSqrtYw = this.invSqrtC(yw);
    const csn = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    let psNorm = 0;
    for (let i = 0; i < n; i++) {
      s.ps[i] = (1 - this.cs) * s.ps[i] + csn * invSqrtYw[i];
      psNorm += s.ps[i] * s.ps[i];
    }
    psNorm = Math.sqrt(psNorm);
    // hsig stalls the rank-one path while the step size is still growing fast (tutorial, eq. 45).
    const hsig =
      psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * (s.generation + 1))) / this.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccn = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) s.pc[i] = (1 - this.cc) * s.pc[i] + hsig * ccn * yw[i];

    const keep = 1 - this.c1 - this.cmu + (1 - hsig) * this.c1 * this.cc * (2 - this.cc);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let rankMu = 0;
        for (let r = 0; r < this.mu; r++) rankMu += this.weights[r] * ys[r][i] * ys[r][j];
        const c = keep * s.C[i * n + j] + this.c1 * s.pc[i] * s.pc[j] + this.cmu * rankMu;
        // Written to both triangles from one value, so C stays exactly symmetric.
        s.C[i * n + j] = c;
        s.C[j * n + i] = c;
      }
    }
    s.sigma *= Math.exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    s.generation++;
    s.evaluations += pop.length;
    if (s.generation - s.eigenGeneration >= this.eigenInterval) this.decompose();
  }

  /** Why the run should stop now, or null to go on. */
  stop(): StopReason | null {
    const { n, s } = this;
    if (s.evaluations + this.lambda > s.maxEvals) return 'budget';
    if (s.generation === 0) return null;
    if (s.history.length >= this.historyLength) {
      const all = [...s.history, ...s.last];
      if (Math.max(...all) - Math.min(...all) < s.tolFun) return 'tolfun';
    }
    let small = true;
    for (let i = 0; i < n && small; i++) {
      small = s.sigma * Math.sqrt(s.C[i * n + i]) < s.tolX && s.sigma * Math.abs(s.pc[i]) < s.tolX;
    }
    if (small) return 'tolx';
    const dMax = Math.max(...s.D);
    const dMin = Math.min(...s.D);
    if ((dMax / dMin) ** 2 > MAX_CONDITION) return 'conditioncov';
    return null;
  }

  private recordBest(pop: Float64Array[], raw: number[]): void {
    const s = this.s;
    let k = -1;
    for (let i = 0; i < raw.length; i++) if (raw[i] < (k < 0 ? Number.POSITIVE_INFINITY : raw[k])) k = i;
    if (k < 0) return;
    s.history.push(raw[k]);
    if (s.history.length > this.historyLength) s.history.shift();
    if (s.best === null || raw[k] < s.best.f) s.best = { x: [...toParams(pop[k], s.lo, s.hi)], f: raw[k] };
  }

  /** Sample indices best first by penalised fitness (see the header); ties keep ask() order. */
  private rank(pop: Float64Array[], raw: number[]): number[] {
    const { n, s } = this;
    const finite = raw.filter(Number.isFinite).sort((a, b) => a - b);
    let spread = finite.length > 0 ? quantile(finite, 0.75) - quantile(finite, 0.25) : 0;
    // A flat generation (all samples clamped onto one corner, say): any positive weight orders them by distance.
    if (!(spread > 0)) spread = 1;
    let meanVar = 0;
    for (let i = 0; i < n; i++) meanVar += s.C[i * n + i];
    const weight = spread / (s.sigma * s.sigma * (meanVar / n));
    // Only samples that stepped out pay: weight can overflow to Infinity once sigma is tiny, and Infinity · 0 is NaN.
    const penalised = pop.map((u, k) => {
      const d = outsideSq(u);
      return d > 0 ? raw[k] + weight * d : raw[k];
    });
    return pop.map((_, k) => k).sort((a, b) => penalised[a] - penalised[b] || a - b);
  }

  private invSqrtC(v: Float64Array): Float64Array {
    const { n, s } = this;
    const t = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += s.B[i * n + j] * v[i];
      t[j] = d / s.D[j];
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += s.B[i * n + j] * t[j];
    return out;
  }

  private decompose(): void {
    const { n, s } = this;
    const { values, vectors } = symmetricEigen(Float64Array.from(s.C), n);
    s.B = [...vectors];
    // Rounding can leave a tiny negative eigenvalue on a nearly singular C; the condition stop ends such runs.
    s.D = [...values].map((v) => Math.sqrt(Math.max(v, 1e-300)));
    s.eigenGeneration = s.generation;
  }
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Shape checks on a saved state, so a damaged resume file fails here with its field rather than as NaN later. */
function checkState(st: CmaesState): void {
  const bad = (field: string, expected: string): never => {
    throw new InputError(`cmaes state: ${field}: expected ${expected}`);
  };
  if (st?.version !== 1) bad('version', '1');
  const n = st.lo?.length;
  if (!(n > 0) || st.hi?.length !== n) bad('lo/hi', 'bounds of equal, non-zero length');
  checkBounds(
    st.lo.map((l, i) => [l, st.hi[i]] as const),
    st.names,
  );
  const lengths: [keyof CmaesState, number][] = [
    ['mean', n],
    ['pc', n],
    ['ps', n],
    ['D', n],
    ['C', n * n],
    ['B', n * n],
  ];
  for (const [field, len] of lengths) {
    const v = st[field];
    if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      bad(field, `${len} finite numbers`);
    }
  }
  for (const field of ['lambda', 'generation', 'evaluations', 'eigenGeneration'] as const) {
    if (!Number.isInteger(st[field]) || st[field] < 0) bad(field, 'a whole number >= 0');
  }
  if (st.lambda < 2) bad('lambda', 'at least 2');
  if (!(st.sigma > 0)) bad('sigma', 'a number > 0');
  for (const field of ['history', 'last'] as const) {
    const v = st[field];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(field, 'finite numbers');
  }
}

export interface MinimizeResult extends CmaesBest {
  evaluations: number;
  generations: number;
  stop: StopReason;
}

/** Minimises a synchronous objective over the box; for async or parallel objectives use Cmaes's ask/tell. */
export function minimize(f: (x: Float64Array) => number, bounds: Bounds, opts: CmaesOptions = {}): MinimizeResult {
  const es = Cmaes.create(bounds, opts);
  let stop = es.stop();
  while (stop === null) {
    es.tell(es.ask().map((x) => f(x)));
    stop = es.stop();
  }
  // best stays null only if every evaluation was NaN or infinite; then the mean is all there is.
  const best = es.best ?? { x: es.mean(), f: Number.NaN };
  return { ...best, evaluations: es.evaluations, generations: es.generation, stop };
}
