import type { NavigateScenario } from '../scenario-schema.js';
import type { Expert } from './expert.js';

export function navigateExpert(_sc: NavigateScenario): Expert {
  throw new Error('not yet');
}
