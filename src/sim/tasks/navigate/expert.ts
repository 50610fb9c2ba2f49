/**
 * Scripted expert for `navigate`: plans on the known map (privileged obstacle layout) once per
 * episode and follows the plan with a pure-pursuit heading controller (navigate-follower.ts).
 * Output: normalised [lin_vel, ang_vel] in [-1, 1] for the scenario's contract ranges.
 */
import { bounds } from '../../contract.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { NavigatePrivileged } from './task.js';
import type { Expert } from '../../expert.js';
import { DEFAULT_FOLLOWER, NavigationPlan, type FollowerConfig } from './follower.js';

export function navigateExpert(sc: NavigateScenario, overrides: Partial<FollowerConfig> = {}): Expert {
  const { low, high } = bounds(sc.contract.action);
  const cfg: FollowerConfig = {
    ...DEFAULT_FOLLOWER,
    radius: sc.robot.radius,
    // Never ask for more than the contract or the robot allows.
    maxSpeed: Math.min(sc.robot.max_speed, high[0], -low[0]),
    maxYawRate: Math.min(sc.robot.max_yaw_rate, high[1], -low[1]),
    gridResolution: sc.world.grid_resolution,
    ...overrides,
  };
  let plan: NavigationPlan | null = null;
  const normalise = (x: number, i: number) => {
    const a = (2 * (x - low[i])) / (high[i] - low[i]) - 1;
    return a > 1 ? 1 : a < -1 ? -1 : a;
  };
  return {
    reset() {
      plan = null;
    },
    act(privileged: unknown): Float32Array {
      const p = privileged as NavigatePrivileged;
      if (!p?.layout || !p.pose)
        throw new Error('navigate expert: expected the privileged state of a navigate env (TaskEnv.privileged())');
      // Re-plan when the layout object changes (new episode, or a restored one) even without reset().
      if (!plan || plan.layout !== p.layout) plan = new NavigationPlan(p.layout, cfg);
      const [v, w] = plan.command(p.pose);
      return Float32Array.of(normalise(v, 0), normalise(w, 1));
    },
  };
}
