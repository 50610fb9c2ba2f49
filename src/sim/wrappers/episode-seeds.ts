/**
 * Gives every episode an explicit seed. A reset without a seed draws the next one from a stream
 * started by the last explicit seed (0 if none), so every layer below derives its randomness from
 * the same logged number and `reset({seed: info.seed})` reproduces the episode exactly.
 */
import { Wrapper, type ResetOptions, type ResetResult } from '../env.js';
import { Rng } from '../rng.js';

export class EpisodeSeeds extends Wrapper {
  private stream = Rng.derive(0, 'episode-seeds');

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    let seed = opts.seed;
    if (seed === undefined) seed = this.stream.nextU32();
    else this.stream = Rng.derive(seed, 'episode-seeds');
    return this.env.reset({ ...opts, seed });
  }
}
