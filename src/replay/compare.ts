/**
 * How far a re-executed run drifted from the logged one, step by step: the largest observation
 * difference per step (and the component where it is largest), and the action difference.
 */
import type { Episode } from '../episodes/types.js';

export interface StepDrift {
  step: number;
  obsMaxAbs: number;
  obsComponent: string;
  actionMaxAbs: number;
}

export interface CompareReport {
  stepsA: number;
  stepsB: number;
  compared: number;
  maxObsDrift: number;
  meanObsDrift: number;
  finalObsDrift: number;
  maxActionDiff: number;
  successA: boolean | null;
  successB: boolean | null;
  steps: StepDrift[];
}

function componentNames(ep: Episode): string[] {
  return ep.start.contract.obs.flatMap((c) =>
    Array.from({ length: c.size }, (_, i) => (c.size > 1 ? `${c.name}[${i}]` : c.name)),
  );
}

export function compareEpisodes(a: Episode, b: Episode): CompareReport {
  const names = componentNames(a);
  const n = Math.min(a.steps.length, b.steps.length);
  const steps: StepDrift[] = [];
  for (let t = 0; t < n; t++) {
    const oa = a.steps[t].obs;
    const ob = b.steps[t].obs;
    let m = 0;
    let at = 0;
    for (let i = 0; i < Math.min(oa.length, ob.length); i++) {
      const d = Math.abs(oa[i] - ob[i]);
      if (d > m) {
        m = d;
        at = i;
      }
    }
    let am = 0;
    const aa = a.steps[t].action;
    const ab = b.steps[t].action;
    for (let i = 0; i < Math.min(aa.length, ab.length); i++) am = Math.max(am, Math.abs(aa[i] - ab[i]));
    steps.push({ step: t, obsMaxAbs: m, obsComponent: names[at] ?? `obs[${at}]`, actionMaxAbs: am });
  }
  const drifts = steps.map((s) => s.obsMaxAbs);
  return {
    stepsA: a.steps.length,
    stepsB: b.steps.length,
    compared: n,
    maxObsDrift: drifts.length ? Math.max(...drifts) : 0,
    meanObsDrift: drifts.length ? drifts.reduce((x, y) => x + y, 0) / drifts.length : 0,
    finalObsDrift: drifts.length ? drifts[drifts.length - 1] : 0,
    maxActionDiff: steps.length ? Math.max(...steps.map((s) => s.actionMaxAbs)) : 0,
    successA: a.end?.success ?? null,
    successB: b.end?.success ?? null,
    steps,
  };
}
