/** A path that is not a readable episode file (missing, not MCAP, not ours). The CLI exits 2 on these. */
export class EpisodeFileError extends Error {
  override name = 'EpisodeFileError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
