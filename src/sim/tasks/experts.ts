/** Expert registry: scenario task → scripted expert. */
import type { Scenario } from '../scenario-schema.js';
import type { Expert } from '../expert.js';
import { graspExpert } from './grasp/expert.js';
import { navigateExpert } from './navigate/expert.js';

export function makeExpert(sc: Scenario): Expert {
  switch (sc.task) {
    case 'grasp':
      return graspExpert(sc);
    case 'navigate':
      return navigateExpert(sc);
  }
}
