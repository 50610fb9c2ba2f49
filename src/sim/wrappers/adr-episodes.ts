/** Feeds episode boundaries and outcomes to an ADR controller. */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import type { Adr } from '../adr.js';

export class AdrEpisodes extends Wrapper {
  private open = false;

  constructor(
    env: Env,
    readonly adr: Adr,
  ) {
    super(env);
  }

  override reset(opts?: { seed?: number; options?: ResetOptions }): ResetResult {
    // An episode abandoned before its end tells nothing about the boundary it measured.
    this.adr.beginEpisode();
    this.open = true;
    const res = this.env.reset(opts);
    res.info.randomization.adr_episode = this.adr.state.episodes;
    return res;
  }

  override step(action: ArrayLike<number>): StepResult {
    const res = this.env.step(action);
    if (this.open && (res.terminated || res.truncated)) {
      this.open = false;
      this.adr.endEpisode(res.info.success);
    }
    return res;
  }
}
