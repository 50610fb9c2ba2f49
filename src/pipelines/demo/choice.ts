/**
 * Which policy the demo deploys after fine-tuning. Fine-tuning on a handful of robot demonstrations
 * moves a policy that is already good on the robot by a few points at most, less than a test of a
 * hundred episodes can tell apart: a fine-tuned policy that is no better would show up below the
 * zero-shot one about half the time, by chance (docs/design.md, "Findings"). So, as a robot
 * engineer would, the demo runs both on held-out robot episodes (seeds the test never sees) and
 * deploys the fine-tuned policy only if it succeeds in more of them; otherwise the pretrained
 * policy stays deployed. Both validation figures are reported.
 */
import type { SuccessStats } from '../../episodes/summary.js';

export type Deployed = 'finetuned' | 'pretrained';

export interface DeployChoice {
  deployed: Deployed;
  /** One line: the two validation counts and the verdict. */
  reason: string;
}

export function chooseDeployed(pretrained: SuccessStats, finetuned: SuccessStats): DeployChoice {
  if (pretrained.episodes !== finetuned.episodes)
    throw new Error(
      `chooseDeployed: expected validation runs of one size, got ${pretrained.episodes} and ${finetuned.episodes} episodes`,
    );
  const counts = `fine-tuned ${finetuned.successes}/${finetuned.episodes}, pretrained ${pretrained.successes}/${pretrained.episodes} on held-out robot episodes`;
  return finetuned.successes > pretrained.successes
    ? { deployed: 'finetuned', reason: `${counts}: the fine-tuned policy is deployed` }
    : {
        deployed: 'pretrained',
        reason: `${counts}: fine-tuning did not beat the pretrained policy, which stays deployed`,
      };
}
