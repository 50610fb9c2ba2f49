/**
 * A reality profile's `scenario_overrides:` (docs/scenarios.md): the real robot and world differ from
 * the scenario's in ways no scale expresses (heavier links, an 8 cm cube). Deep-merged into the
 * scenario's robot, world and control blocks (lists replace) and validated like a scenario file; an
 * override that would change what the robot observes or accepts is refused, since a policy for the
 * scenario must run on its real counterpart unchanged.
 */
import { InputError } from '../errors.js';
import { contractMismatch, type Component, type Contract } from './contract.js';
import { ScenarioSchema, type Scenario } from './scenario-schema.js';
import { formatIssue } from './scenario-file.js';
import { TASKS } from './tasks/index.js';
import type { LayoutEntry, TaskDef } from './task.js';

export type ScenarioOverrides = Record<string, unknown>;

const OVERRIDABLE = ['robot', 'world', 'control'];
const IDENTITY: Record<string, string> = {
  contract: 'would change the contract',
  task: 'would change the task (and with it the contract)',
  name: "would change the scenario's name (a profile is the counterpart of one scenario)",
};

/** Refuse blocks that cannot be overridden; `where` is e.g. `real.yaml:scenario_overrides`. */
export function checkOverrideBlocks(overrides: ScenarioOverrides, where: string): void {
  for (const key of Object.keys(overrides)) {
    if (IDENTITY[key]) throw new InputError(`${where}.${key}: ${IDENTITY[key]}`);
    if (!OVERRIDABLE.includes(key))
      throw new InputError(`${where}.${key}: expected one of ${OVERRIDABLE.join(' | ')}, got "${key}"`);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Paths of the overridden values (lists are one value). */
function leaves(v: unknown, path: string[] = []): string[][] {
  if (!isMap(v)) return [path];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
}

function single(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as Record<string, unknown>;
}

function valueAt(v: unknown, path: string[]): unknown {
  return path.reduce<unknown>((acc, k) => (isMap(acc) ? acc[k] : undefined), v);
}

/** The contract the task would produce for `sc`: the declared components, resized and renamed as its layout says. */
function impliedContract(sc: Scenario, declared: Contract): Contract {
  const task = TASKS[sc.task] as TaskDef;
  const side = (layout: LayoutEntry[], comps: Component[]): Component[] =>
    layout.map((l, i) => ({ ...(comps[i] ?? { unit: '', low: 0, high: 0 }), name: l.name, size: l.size }));
  return { obs: side(task.obsLayout(sc), declared.obs), action: side(task.actionLayout(sc), declared.action) };
}

/**
 * The scenario as the profile's world has it. `where` names the block in errors
 * (`real.yaml:scenario_overrides`); the file part is what precedes its last colon.
 */
export function applyScenarioOverrides(
  sc: Scenario,
  overrides: ScenarioOverrides | undefined,
  where: string,
): Scenario {
  if (!overrides || Object.keys(overrides).length === 0) return sc;
  checkOverrideBlocks(overrides, where);
  const file = where.slice(0, where.lastIndexOf(':'));
  const block = where.slice(where.lastIndexOf(':') + 1);
  const parsed = ScenarioSchema.safeParse(merge(sc, overrides), { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(formatIssue(file, { ...issue, path: [block, ...issue.path] }));
  }
  const merged = parsed.data;
  if (!contractMismatch(sc.contract, impliedContract(merged, sc.contract))) return merged;
  // Name the override responsible: the first that changes the contract on its own (else the first).
  const paths = leaves(overrides);
  let culprit = paths[0];
  let why = contractMismatch(sc.contract, impliedContract(merged, sc.contract))!;
  for (const p of paths) {
    const alone = contractMismatch(
      sc.contract,
      impliedContract(merge(sc, single(p, valueAt(overrides, p))) as Scenario, sc.contract),
    );
    if (alone) {
      culprit = p;
      why = alone;
      break;
    }
  }
  throw new InputError(`${where}.${culprit.join('.')}: would change the contract (${why})`);
}
