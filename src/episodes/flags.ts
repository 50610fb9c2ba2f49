/**
 * Flagged episodes: recorded, but not to be learned from without asking. A served episode is
 * flagged when the robot sent observations outside the contract's range (a sensor fault, a wrong
 * unit: a policy trained on them learns from states the contract says cannot happen) or when its
 * recording is partial (it began mid-episode after a server restart, so its first steps are missing).
 */
import type { Episode } from './types.js';

export interface EpisodeFlags {
  /** Observations outside the contract's range (as counted in the end record). */
  obsOutOfRange: boolean;
  /** The recording began mid-episode. */
  partial: boolean;
}

export function episodeFlags(e: Episode): EpisodeFlags {
  return {
    obsOutOfRange: (e.end?.obsOutOfRange?.values ?? 0) > 0,
    partial: e.start.partial !== undefined || e.end?.partial !== undefined,
  };
}

export function isFlagged(e: Episode): boolean {
  const f = episodeFlags(e);
  return f.obsOutOfRange || f.partial;
}
