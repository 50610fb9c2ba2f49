/** Episode logs in MCAP (docs/design.md, "Episodes"): write, read, summarise. Channels are described in channels.ts. */
export type {
  Episode,
  EpisodeEnd,
  EpisodeFile,
  EpisodeSource,
  EpisodeStart,
  EpisodeStep,
  ObsOutOfRange,
  PartialRecording,
  RecordTime,
  StepMessage,
} from './types.js';
export { EpisodeWriter } from './writer.js';
export type {
  EpisodeEndInput,
  EpisodeRecording,
  EpisodeStartInput,
  EpisodeWriterOptions,
  SceneSource,
  StepInput,
} from './writer.js';
export { readEpisodeFile, readEpisodes } from './reader.js';
export { listEpisodeFiles } from './files.js';
export { summarizeEpisodes, wilson } from './summary.js';
export type { EpisodeSummary } from './summary.js';
export { EpisodeFileError } from './errors.js';
export { episodeFlags, isFlagged } from './flags.js';
export type { EpisodeFlags } from './flags.js';
export { ObsRangeCheck } from './obs-range.js';
export { TOPICS } from './channels.js';
export { sceneUpdate } from './scene.js';
export type { SceneUpdate } from './scene.js';
