/**
 * The demo's two input files: its scenario (a short name or a file) and the reality profile of its
 * emulated robot. A reality is just a profile file; which one the demo uses by default is one line
 * per scenario in DEMO_REALITIES, whatever engine the profile names (rapier or mujoco).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import { InputError } from '../../errors.js';

/** The package's own scenarios/ (the demo works from any working directory). */
const SCENARIO_DIR = join(packageRoot(), 'scenarios');

const SHORT_NAMES: Record<string, string> = {
  grasp: 'grasp-cube',
  navigate: 'navigate-obstacles',
  navigation: 'navigate-obstacles',
};

/**
 * The reality profile (a file in scenarios/reality/) the demo runs its robot against when no
 * `--reality` is given, per scenario name. The profile must show the gap: a policy cloned in
 * nominal sim only clearly worse on it than the randomized one. Scenarios not listed use
 * scenarios/reality/<scenario name>.yaml.
 */
export const DEMO_REALITIES: Record<string, string> = {
  'grasp-cube': 'grasp-cube-mujoco.yaml',
  'navigate-obstacles': 'navigate-obstacles-mujoco.yaml',
};

export function scenarioFile(name: string): string {
  const short = SHORT_NAMES[name];
  if (short) return join(SCENARIO_DIR, `${short}.yaml`);
  if (/\.ya?ml$/i.test(name)) {
    if (!existsSync(name)) throw new InputError(`--scenario: expected a scenario file, got "${name}" (not found)`);
    return name;
  }
  throw new InputError(`--scenario: expected grasp, navigate or a scenario file, got "${name}"`);
}

/** The given profile file, or the demo's default for the scenario; refused when it does not exist. */
export function realityFileFor(sc: Scenario, given: string | undefined): string {
  const file = given ?? join(SCENARIO_DIR, 'reality', DEMO_REALITIES[sc.name] ?? `${sc.name}.yaml`);
  if (!existsSync(file)) {
    throw new InputError(
      given
        ? `--reality: expected a reality profile file, got "${given}" (not found)`
        : `--reality: expected a reality profile file; none ships for scenario ${sc.name} (looked for ${file})`,
    );
  }
  return file;
}
