/**
 * The order rule of a robot's control steps (docs/protocol.md "Ids and steps"): within a session,
 * episode numbers never go back and, within an episode, steps strictly increase. A repeated or
 * backwards step would be served a second action for a moment already acted on, and recorded as a
 * second sample of it, so it is refused instead.
 */

export class StepRules {
  /** The current episode (-1: none yet). */
  episode = -1;
  /** Last step served in it (-1: none yet). */
  step = -1;
  /** Whether `episode` was announced by episode_start (else it began with an obs). */
  announced = false;
  /** Whether `episode` got its episode_end. */
  ended = false;

  /** null when `obs {episode, step}` may be served (and is now the latest), else why not. */
  obs(episode: number, step: number): string | null {
    if (episode < this.episode)
      return `episode: expected ${this.episode} or later (episode numbers never go back in a session), got ${episode}`;
    if (episode === this.episode) {
      if (this.ended) return `episode ${episode} already ended; expected a later episode`;
      if (step <= this.step)
        return `step: expected more than ${this.step} in episode ${episode} (steps strictly increase), got ${step}`;
    } else {
      this.episode = episode;
      this.announced = false;
      this.ended = false;
    }
    this.step = step;
    return null;
  }

  /** null when `episode_start {episode}` may open it, else why not. */
  start(episode: number): string | null {
    if (episode < this.episode || (episode === this.episode && (this.announced || this.step >= 0 || this.ended))) {
      return `episode: expected more than ${this.episode} (episode ${this.episode} already began), got ${episode}`;
    }
    this.episode = episode;
    this.step = -1;
    this.announced = true;
    this.ended = false;
    return null;
  }

  /** null when `episode_end {episode}` closes the current episode, else why not. */
  end(episode: number): string | null {
    if (episode !== this.episode || this.ended)
      return `episode: expected ${this.ended || this.episode < 0 ? 'an episode in progress' : this.episode}, got ${episode}${this.ended ? ' (already ended)' : ''}`;
    this.ended = true;
    return null;
  }
}
