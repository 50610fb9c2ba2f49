/** A path that is not a readable episode file (missing, not MCAP, not ours). The CLI exits 2 on these. */
import { InputError } from '../errors.js';

export class EpisodeFileError extends InputError {
  override name = 'EpisodeFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
