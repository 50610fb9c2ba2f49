/** Loading scenario files: YAML → schema → cross-checks against the task, with `file:field: expected X, got Y` errors. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { parseYamlText, readInputFile } from '../input-file.js';
import type { z } from 'zod';
import { ScenarioSchema, type Scenario } from './scenario-schema.js';
import { totalSize } from './contract.js';
import { TASKS } from './tasks/index.js';
import type { TaskDef } from './task.js';
import { checkPhysicsKnobTargets, checkSensorTargets } from './knob-targets.js';

export { InputError };

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return v.length > 6 ? `an array of ${v.length}` : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

function issueText(issue: z.core.$ZodIssue & { input?: unknown }): { path: string; text: string } {
  let path = issue.path.map(String).join('.');
  const got = `got ${show(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return { path, text: `expected ${issue.expected}, ${got}` };
    case 'too_small':
      return {
        path,
        text: `expected ${issue.origin === 'array' ? `at least ${issue.minimum} items` : (issue.inclusive ? '>= ' : '> ') + issue.minimum}, ${got}`,
      };
    case 'too_big':
      return {
        path,
        text: `expected ${issue.origin === 'array' ? `at most ${issue.maximum} items` : (issue.inclusive ? '<= ' : '< ') + issue.maximum}, ${got}`,
      };
    case 'invalid_value':
      return { path, text: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, ${got}` };
    case 'unrecognized_keys':
      path = [...issue.path.map(String), issue.keys[0]].join('.');
      return { path, text: `expected no such field (unknown key "${issue.keys[0]}")` };
    case 'invalid_union':
      return { path, text: `expected ${issue.message.replace(/^Invalid input:?\s*/i, '') || 'a valid value'}, ${got}` };
    default:
      return { path, text: `${issue.message}, ${got}` };
  }
}

/** One schema issue as `file:field: expected X, got Y`. */
export function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const { path, text } = issueText(issue as z.core.$ZodIssue & { input?: unknown });
  return `${file}:${path}: ${text}`;
}

/** Parse and validate scenario text; `file` is used in error messages only. */
export function parseScenario(text: string, file: string): Scenario {
  const raw = parseYamlText(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${file}: expected a YAML mapping, got ${show(raw)}`);
  const task = (raw as { task?: unknown }).task;
  if (typeof task !== 'string' || !(task in TASKS)) {
    throw new InputError(
      `${file}:task: expected one of ${Object.keys(TASKS)
        .map((t) => JSON.stringify(t))
        .join(' | ')}, got ${show(task)}`,
    );
  }
  const parsed = ScenarioSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(formatIssue(file, parsed.error.issues[0]));
  const sc = parsed.data;
  checkAgainstTask(sc, file);
  return sc;
}

/** The scenarios that ship with sim2real, by name (`grasp-cube`, `navigate-obstacles`). */
export function builtinScenarioPath(name: string): string | null {
  if (!/^[\w-]+$/.test(name)) return null;
  const path = join(packageRoot(), 'scenarios', `${name}.yaml`);
  return existsSync(path) ? path : null;
}

/**
 * Load a scenario file, or a built-in scenario by name when no such file exists (so that code using
 * the installed package needs no path into it).
 */
export function loadScenario(file: string): Scenario {
  const path = !existsSync(file) ? (builtinScenarioPath(file) ?? file) : file;
  return parseScenario(readInputFile(path, 'scenario file'), path);
}

/** The contract in the file must be the one the task produces: same names, order and sizes. */
function checkAgainstTask(sc: Scenario, file: string): void {
  const task = TASKS[sc.task] as TaskDef;
  for (const side of ['obs', 'action'] as const) {
    const want = side === 'obs' ? task.obsLayout(sc) : task.actionLayout(sc);
    const have = sc.contract[side];
    for (let i = 0; i < Math.max(want.length, have.length); i++) {
      const w = want[i];
      const h = have[i];
      const where = `${file}:contract.${side}.${i}`;
      if (!w) throw new InputError(`${where}: expected no more components, got "${h.name}"`);
      if (!h) throw new InputError(`${where}: expected component "${w.name}" (size ${w.size}), got nothing`);
      if (w.name !== h.name) throw new InputError(`${where}.name: expected "${w.name}", got "${h.name}"`);
      if (w.size !== h.size) throw new InputError(`${where}.size: expected ${w.size}, got ${h.size}`);
      for (const b of ['low', 'high'] as const) {
        const v = h[b];
        if (Array.isArray(v) && v.length !== h.size)
          throw new InputError(`${where}.${b}: expected ${h.size} values, got ${v.length}`);
      }
    }
  }
  const nAct = totalSize(sc.contract.action);
  if (sc.safe_action.length !== nAct)
    throw new InputError(`${file}:safe_action: expected ${nAct} values, got ${sc.safe_action.length}`);
  for (const term of Object.keys(sc.reward)) {
    if (!task.rewardTerms.includes(term)) {
      throw new InputError(
        `${file}:reward.${term}: expected one of ${task.rewardTerms.map((t) => JSON.stringify(t)).join(' | ')}, got "${term}"`,
      );
    }
  }
  checkPhysicsKnobTargets(sc.randomization, sc.task, `${file}:randomization`);
  checkSensorTargets(sc.randomization.sensors, sc.contract, `${file}:randomization.sensors`);
}
