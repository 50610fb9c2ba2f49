/**
 * Recording what a server serves to one robot session: its episodes, with `source: real`, go into
 * the run's shared files (served-files.ts; runs on the server's recorder thread, recorder-worker.ts).
 * The start record's `randomization` says whose episode it is (`robot_id`, `session`, and the
 * robot's own number for it, `robotEpisode`: the file numbers episodes of all robots together).
 *
 * Times are the real ones: a record's MCAP log time is when the server received the message, its
 * publish time the robot's `time` in it (overrun control periods show as they happened).
 *
 * A step's reward, flags and applied action arrive with the robot's next message, so each step is
 * held until then (the last step of an episode cut short is therefore not recorded: its outcome is
 * unknown). An episode left open (a new episode_start, the session ending, the server stopping)
 * stays without its end record: incomplete.
 */
import type { EpisodeStartInput } from '../episodes/writer.js';
import type { Json, ObsOutOfRange, PartialRecording, RecordTime } from '../episodes/types.js';
import { ObsRangeCheck } from '../episodes/obs-range.js';
import type { EpisodeEndMsg, EpisodeStartMsg } from './messages.js';
import type { RecordedObs, SessionMeta } from './recorder-protocol.js';
import type { ServedEpisode, ServedFiles } from './served-files.js';

interface Pending {
  step: number;
  at: RecordTime;
  obs: Float32Array;
  action: Float32Array;
  latencyMs: number;
}

interface Open {
  /** The robot's episode number. */
  episode: number;
  rec: ServedEpisode;
  pending: Pending | null;
  steps: number;
  ret: number;
  outOfRange: ObsOutOfRange;
  partial?: PartialRecording;
}

/** Control rate recorded when neither the server's scenario nor the robot's hello says (episode files need one). */
export const NOMINAL_CONTROL_HZ = 10;

/** Seconds since the epoch → ns, within MCAP's uint64 (a robot clock may say anything). */
function epochNs(seconds: number): bigint {
  if (!(seconds > 0)) return 0n;
  const s = Math.min(seconds, 1.8e10);
  const whole = Math.floor(s);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((s - whole) * 1e9));
}

function recordTime(receivedAt: number, robotTime: number): RecordTime {
  return { logNs: epochNs(receivedAt), publishNs: epochNs(robotTime) };
}

/** `info.resumed_from_step` > 0 (set by a server that took over a running episode): the recording is partial. */
function partialOf(info: Record<string, unknown>): PartialRecording | undefined {
  const k = info.resumed_from_step;
  return typeof k === 'number' && Number.isInteger(k) && k > 0 ? { fromStep: k } : undefined;
}

export class SessionRecorder {
  private open: Open | null = null;
  private readonly controlHz: number;
  private readonly range: ObsRangeCheck;

  constructor(
    private readonly files: ServedFiles,
    private readonly meta: SessionMeta & { log?: (line: string) => void },
  ) {
    this.controlHz = meta.controlHz > 0 ? meta.controlHz : NOMINAL_CONTROL_HZ;
    if (!(meta.controlHz > 0))
      meta.log?.(
        `recording ${meta.robotId}: control rate unknown (no scenario rate, no hello.control_hz); episodes recorded at a nominal ${NOMINAL_CONTROL_HZ} Hz`,
      );
    this.range = new ObsRangeCheck(meta.contract);
  }

  async startEpisode(m: EpisodeStartMsg, policyId: string, receivedAt: number): Promise<void> {
    this.abandon();
    const info = (m.info ?? {}) as Record<string, Json>;
    const partial = partialOf(info);
    const start: EpisodeStartInput = {
      scenario: this.meta.scenario,
      task: 'real',
      seed: m.seed ?? 0,
      source: 'real',
      policyId,
      contract: this.meta.contract,
      controlHz: this.controlHz,
      // What the server knows comes last: a robot's info cannot pass for it.
      randomization: { ...info, robot_id: this.meta.robotId, robotEpisode: m.episode, session: this.meta.session },
      taskState: null,
      startedAt: new Date(Number.isFinite(receivedAt) ? receivedAt * 1000 : Date.now()).toISOString(),
      at: recordTime(receivedAt, m.time),
    };
    if (partial) start.partial = partial;
    const rec = await this.files.begin(start);
    this.open = {
      episode: m.episode,
      rec,
      pending: null,
      steps: 0,
      ret: 0,
      outOfRange: ObsRangeCheck.empty(),
      partial,
    };
  }

  /** An observation arrived and was answered with `action`. */
  step(m: RecordedObs, action: Float32Array, latencyMs: number): void {
    const o = this.open;
    if (!o || o.episode !== m.episode) return; // obs outside an announced episode: served, not recorded
    this.range.count(m.obs, m.step, o.outOfRange);
    this.writePending(o, m.reward ?? 0, m.terminated ?? false, m.truncated ?? false, m.applied);
    o.pending = { step: m.step, at: recordTime(m.receivedAt, m.time), obs: m.obs, action, latencyMs };
  }

  async endEpisode(m: EpisodeEndMsg, receivedAt: number): Promise<void> {
    const o = this.open;
    if (!o || o.episode !== m.episode) return;
    this.writePending(o, m.reward ?? 0, m.terminated, m.truncated);
    this.open = null;
    await o.rec.end({
      success: m.success,
      return: m.return ?? o.ret,
      length: m.length ?? o.steps,
      terminated: m.terminated,
      truncated: m.truncated,
      obsOutOfRange: o.outOfRange,
      ...(o.partial ? { partial: o.partial } : {}),
      at: recordTime(receivedAt, m.time),
    });
  }

  /** The session ended (bye, silence, server closing): an open episode stays incomplete. */
  close(): void {
    this.abandon();
  }

  private abandon(): void {
    const o = this.open;
    this.open = null;
    o?.rec.abandon();
  }

  private writePending(o: Open, reward: number, terminated: boolean, truncated: boolean, applied?: Float32Array): void {
    const p = o.pending;
    if (!p) return;
    o.pending = null;
    try {
      o.rec.writeStep({
        step: p.step,
        at: p.at,
        obs: p.obs,
        action: p.action,
        appliedAction: applied ?? p.action,
        reward,
        terminated,
        truncated,
        latencyMs: p.latencyMs,
      });
    } catch (e) {
      // The file failed: this episode is lost from here on; the next one starts in a new file.
      this.abandon();
      throw e;
    }
    o.steps++;
    o.ret += reward;
  }
}
