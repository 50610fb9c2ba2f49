/**
 * The names a knob may target depend on the scenario: actuators and friction bodies on its task,
 * sensors on its contract's observation components. Checked where both the knobs and the scenario
 * are known (scenario loading for `randomization:`, checkRealityFor for profiles), so a typo is one
 * line naming the field and the valid names instead of a knob that silently does nothing.
 */
import { InputError } from '../errors.js';
import type { Contract } from './contract.js';
import { ACTUATORS, FRICTION_BODIES } from './physics-params.js';

type TaskName = keyof typeof ACTUATORS;

/** The physics knobs of a block (randomization or a profile's gap), whatever their leaves. */
export interface PhysicsKnobNames {
  actuators?: Record<string, unknown>;
  gripper_force?: unknown;
  body_friction?: Record<string, unknown>;
}

function oneOf(names: readonly string[]): string {
  return names.join(', ');
}

/** `where` is the block's location, e.g. `my.yaml:randomization` or `real.yaml:gap`. */
export function checkPhysicsKnobTargets(block: PhysicsKnobNames, task: TaskName, where: string): void {
  const actuators: readonly string[] = ACTUATORS[task];
  for (const name of Object.keys(block.actuators ?? {}))
    if (!actuators.includes(name))
      throw new InputError(
        `${where}.actuators.${name}: no actuator "${name}" in the ${task} robot (have ${oneOf(actuators)})`,
      );
  const bodies: readonly string[] = FRICTION_BODIES[task];
  for (const name of Object.keys(block.body_friction ?? {}))
    if (!bodies.includes(name))
      throw new InputError(
        `${where}.body_friction.${name}: no body "${name}" in the ${task} world (have ${oneOf(bodies)})`,
      );
  if (block.gripper_force !== undefined && task !== 'grasp')
    throw new InputError(`${where}.gripper_force: the ${task} robot has no gripper`);
}

/** `where` is the block's location, e.g. `my.yaml:randomization.sensors` or `real.yaml:sensors`. */
export function checkSensorTargets(
  sensors: Record<string, unknown> | undefined,
  contract: Contract,
  where: string,
): void {
  const names = contract.obs.map((c) => c.name);
  for (const name of Object.keys(sensors ?? {}))
    if (!names.includes(name))
      throw new InputError(`${where}.${name}: no obs component "${name}" (have ${oneOf(names)})`);
}
