import type { GraspScenario } from '../scenario-schema.js';
import type { Expert } from './expert.js';

export function graspExpert(_sc: GraspScenario): Expert {
  throw new Error('not yet');
}
