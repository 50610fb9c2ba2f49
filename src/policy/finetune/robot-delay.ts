/**
 * Calibrating a delay-compensating policy to a robot: the robot's control-loop delay is estimated
 * from its own episodes (src/episodes/loop-delay.ts) and becomes the delay the policy compensates
 * there — for the fine-tuning data and for the fine-tuned policy.
 */
import type { Episode } from '../../episodes/types.js';
import { InputError } from '../../errors.js';
import { estimateLoopDelay, type LoopDelayEstimate } from '../../episodes/loop-delay.js';
import { DEFAULT_COMPENSATION_TAU, type DelayCompensation } from '../../sim/delay-compensator.js';
import type { DatasetOptions } from '../data/dataset.js';
import type { FinetuneMode } from './finetune.js';

/** `DatasetOptions.compensate` that estimates the delay from the episodes in use (reported to `onEstimate`), keeping `tau`. */
export function estimatedCompensation(
  tau: number,
  onEstimate?: (e: LoopDelayEstimate) => void,
): (episodes: Episode[]) => DelayCompensation {
  return (episodes) => {
    const e = estimateLoopDelay(episodes);
    onEstimate?.(e);
    return { steps: e.steps, tau };
  };
}

/**
 * How robot (target) observations are compensated for a policy about to be adapted to them: a
 * policy trained with delay compensation compensates the robot's own loop delay — `loopDelay` when
 * known, else (fine-tuning) estimated from the episodes — while adapting only the normaliser keeps
 * the policy's delay. Other policies see the data as recorded.
 */
export function robotCompensation(
  prior: DelayCompensation,
  mode: FinetuneMode,
  loopDelay?: number,
  onEstimate?: (e: LoopDelayEstimate) => void,
): DatasetOptions['compensate'] {
  if (prior.steps === 0 && !loopDelay) return undefined;
  if (prior.steps === 0)
    throw new InputError(
      `--loop-delay: expected a policy trained with delay compensation (collect --compensate-delay), got one trained on observations as measured`,
    );
  if (loopDelay !== undefined) return { steps: loopDelay, tau: prior.tau || DEFAULT_COMPENSATION_TAU };
  if (mode === 'normalizer-only') return prior;
  return estimatedCompensation(prior.tau, onEstimate);
}
