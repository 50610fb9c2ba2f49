/** `sim2real episodes inspect <file|dir> [--json]`: what episode files hold, and how well it went. */
import type { Command } from 'commander';
import { InputError } from '../ui/report-error.js';
import { EpisodeFileError } from '../episodes/errors.js';
import { listEpisodeFiles } from '../episodes/files.js';
import { readEpisodeFile } from '../episodes/reader.js';
import { summarizeEpisodes, type EpisodeSummary } from '../episodes/summary.js';
import type { Episode, EpisodeFile, EpisodeSource, ObsOutOfRange } from '../episodes/types.js';
import { episodeFlags } from '../episodes/flags.js';
import { readEpisodes } from '../episodes/reader.js';
import { estimateLoopDelay, type LoopDelayEstimate } from '../episodes/loop-delay.js';
import { positiveInt } from '../ui/number-options.js';

export interface InspectedEpisode {
  file: string;
  index: number;
  scenario: string;
  seed: number;
  source: EpisodeSource;
  policyId: string;
  complete: boolean;
  /** null for an incomplete episode. */
  success: boolean | null;
  return: number | null;
  /** Steps (for an incomplete episode: the steps that were written). */
  length: number;
  /** Served episodes: the robot it was served to (null otherwise). */
  robotId: string | null;
  /** Left out of training by default (train/finetune --include-flagged): obs out of range, or partial. */
  flagged: boolean;
  /** Served episodes with an end record: observations outside the contract's range (null: not counted). */
  obsOutOfRange: ObsOutOfRange | null;
  /** The step the recording began at, when it began mid-episode (null: from the start). */
  partialFrom: number | null;
}

export interface InspectedFile {
  path: string;
  episodes: number;
  incompleteEpisodes: number;
  indexed: boolean;
  tail: string | null;
}

export interface InspectReport extends EpisodeSummary {
  /** Complete episodes that are flagged (see InspectedEpisode.flagged). */
  flaggedEpisodes: number;
  fileList: InspectedFile[];
  episodeList: InspectedEpisode[];
}

function describeEpisode(e: Episode): InspectedEpisode {
  const flags = episodeFlags(e);
  const robot = e.start.randomization.robot_id;
  return {
    file: e.file,
    index: e.start.index,
    scenario: e.start.scenario,
    seed: e.start.seed,
    source: e.start.source,
    policyId: e.start.policyId,
    complete: e.end !== undefined,
    success: e.end ? e.end.success : null,
    return: e.end ? e.end.return : null,
    length: e.end ? e.end.length : e.steps.length,
    robotId: typeof robot === 'string' ? robot : null,
    flagged: flags.obsOutOfRange || flags.partial,
    obsOutOfRange: e.end?.obsOutOfRange ?? null,
    partialFrom: (e.start.partial ?? e.end?.partial)?.fromStep ?? null,
  };
}

/** Read `fileOrDir` and build the report; bad paths and non-episode files throw InputError. */
export async function inspectEpisodes(fileOrDir: string): Promise<InspectReport> {
  let files: EpisodeFile[];
  try {
    const paths = await listEpisodeFiles(fileOrDir);
    if (paths.length === 0)
      throw new InputError(`${fileOrDir}: expected .mcap episode files in this directory, got none`);
    files = [];
    for (const p of paths) files.push(await readEpisodeFile(p));
  } catch (e) {
    if (e instanceof EpisodeFileError) throw new InputError(e.message);
    throw e;
  }
  const episodes = files.flatMap((f) => f.episodes);
  const episodeList = episodes.map(describeEpisode);
  return {
    ...summarizeEpisodes(episodes, { files: files.length }),
    flaggedEpisodes: episodeList.filter((e) => e.complete && e.flagged).length,
    fileList: files.map((f) => ({
      path: f.path,
      episodes: f.episodes.length - f.incompleteEpisodes,
      incompleteEpisodes: f.incompleteEpisodes,
      indexed: f.indexed,
      tail: f.tail,
    })),
    episodeList,
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const fixed = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** The human-readable report: per file one line per episode, then the summary. */
export function formatInspect(r: InspectReport): string {
  const out: string[] = [];
  for (const f of r.fileList) {
    const how = f.indexed ? 'indexed' : `read sequentially: ${f.tail ?? 'no index'}`;
    const inc = f.incompleteEpisodes ? `, ${f.incompleteEpisodes} incomplete` : '';
    out.push(`${f.path}: ${f.episodes} episode${f.episodes === 1 ? '' : 's'}${inc} (${how})`);
    for (const e of r.episodeList.filter((x) => x.file === f.path)) {
      const outcome = e.complete
        ? `${e.success ? 'success' : 'failure'}  return ${fixed(e.return!, 3)}`
        : 'incomplete (no end record)';
      const robot = e.robotId === null ? '' : `  robot ${e.robotId}`;
      out.push(`  #${e.index}  seed ${e.seed}  ${e.source}${robot}  ${outcome}  length ${e.length}${flagText(e)}`);
    }
  }
  const [lo, hi] = r.successCi95;
  const inc = r.incompleteEpisodes ? ` (+${r.incompleteEpisodes} incomplete, not counted)` : '';
  const flagged = r.flaggedEpisodes
    ? ` (${r.flaggedEpisodes} flagged: skipped by train/finetune without --include-flagged)`
    : '';
  out.push(
    `${r.episodes} episodes${inc}${flagged}, ${r.steps} steps in ${r.files} file${r.files === 1 ? '' : 's'}: ` +
      `success ${pct(r.successRate)} (95% CI ${pct(lo)}–${pct(hi)}), mean return ${fixed(r.meanReturn, 3)}, ` +
      `length mean ${fixed(r.meanLength, 1)} min ${fixed(r.minLength, 0)} max ${fixed(r.maxLength, 0)}`,
  );
  return out.join('\n');
}

/** `  FLAGGED: obs out of range in 3 steps (5 values; first: step 7 lidar[2] = 9.5), partial (from step 40)`, or nothing. */
function flagText(e: InspectedEpisode): string {
  const why: string[] = [];
  const r = e.obsOutOfRange;
  if (r && r.values > 0) {
    const first = r.first
      ? `; first: step ${r.first.step} ${r.first.component}[${r.first.index}] = ${r.first.value}`
      : '';
    why.push(
      `obs out of range in ${r.steps} step${r.steps === 1 ? '' : 's'} (${r.values} value${r.values === 1 ? '' : 's'}${first})`,
    );
  }
  if (e.partialFrom !== null) why.push(`partial (from step ${e.partialFrom})`);
  return why.length ? `  FLAGGED: ${why.join(', ')}` : '';
}

export function registerEpisodes(program: Command): void {
  const episodes = program.command('episodes').description('work with episode files (MCAP)');
  episodes
    .command('inspect')
    .description(
      'list the episodes in an MCAP file or a directory of them, with success rate (Wilson 95% CI), returns and lengths',
    )
    .argument('<path>', 'episode file (.mcap) or directory')
    .option('--json', 'print the report as one JSON object')
    .action(async (path: string, o: { json?: boolean }) => {
      const report = await inspectEpisodes(path);
      process.stdout.write(`${o.json ? JSON.stringify(report, null, 2) : formatInspect(report)}\n`);
    });
  episodes
    .command('latency')
    .description(
      "estimate a robot's control-loop delay (command → its effect in the observation, actuation plus sensing) from its logged episodes",
    )
    .argument('<path>', 'episode file (.mcap) or directory, recorded on one robot')
    .option('--max-steps <n>', 'largest delay considered, control steps', positiveInt, 12)
    .option('--json', 'print the estimate as one JSON object')
    .action(async (path: string, o: { maxSteps: number; json?: boolean }) => {
      const { episodes: eps } = await readEpisodes(path);
      if (eps.length === 0) throw new InputError(`${path}: expected .mcap episode files, got none`);
      const est = estimateLoopDelay(eps, { maxSteps: o.maxSteps });
      process.stdout.write(`${o.json ? JSON.stringify(est, null, 2) : formatLatency(est)}\n`);
    });
}

/** The estimate, the fitted motor response per channel, and how clearly the residual picks it. */
function formatLatency(e: LoopDelayEstimate): string {
  const r = e.residualByDelay;
  const rel = r.map((x) => (x / r[e.steps]).toFixed(2));
  return [
    `loop delay ${e.steps} control steps = ${e.ms.toFixed(0)} ms at ${e.controlHz} Hz (actuation + sensing), from ${e.episodes} episodes, ${e.rows} steps`,
    ...e.channels.map(
      (c) =>
        `  ${c.action} → ${c.obs}: lag ${c.tau.toFixed(3)} s, acceleration limit ${Number.isFinite(c.accelLimit) ? c.accelLimit.toFixed(2) : 'none'} per s`,
    ),
    `  residual relative to the best, delay 0..${r.length - 1}: ${rel.join(' ')}`,
  ].join('\n');
}
