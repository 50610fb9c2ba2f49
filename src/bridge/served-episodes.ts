/**
 * Recording what a server serves: one MCAP file per robot session, episodes with `source: real`
 * (runs on the server's recorder thread, recorder-worker.ts).
 * A step's reward, flags and applied action arrive with the robot's next message, so each step is
 * held until then (the last step of an episode cut short is therefore not recorded: its outcome is
 * unknown).
 */
import { join } from 'node:path';
import { EpisodeWriter } from '../episodes/writer.js';
import type { StepInput } from '../episodes/types.js';
import type { Contract } from '../sim/contract.js';
import type { EpisodeEndMsg, EpisodeStartMsg } from './messages.js';
import type { RecordedObs } from './recorder-protocol.js';

interface Pending {
  obs: Float32Array;
  action: Float32Array;
  latencyMs: number;
}

/** Control rate recorded when neither the server's scenario nor the robot's hello says (episode files need one). */
export const NOMINAL_CONTROL_HZ = 10;

export class SessionRecorder {
  private writer: Promise<EpisodeWriter>;
  private open: { episode: number; pending: Pending | null; steps: number; ret: number } | null = null;
  private part = 1;
  private readonly controlHz: number;

  constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly meta: { robotId: string; scenario: string; contract: Contract; controlHz: number; log?: (line: string) => void },
  ) {
    this.controlHz = meta.controlHz > 0 ? meta.controlHz : NOMINAL_CONTROL_HZ;
    if (!(meta.controlHz > 0)) meta.log?.(`recording ${meta.robotId}: control rate unknown (no scenario rate, no hello.control_hz); episodes recorded at a nominal ${NOMINAL_CONTROL_HZ} Hz`);
    this.writer = EpisodeWriter.open(join(dir, file));
    // A file that cannot be opened fails the first event that needs it; until then the rejection
    // must not count as unhandled (that would end the process).
    this.writer.catch(() => undefined);
  }

  async startEpisode(m: EpisodeStartMsg, policyId: string): Promise<void> {
    if (this.open) await this.abandon();
    const w = await this.writer;
    w.startEpisode(
      {
        index: m.episode,
        scenario: this.meta.scenario,
        task: 'real',
        seed: m.seed ?? 0,
        source: 'real',
        policyId,
        contract: this.meta.contract,
        controlHz: this.controlHz,
        randomization: { robot_id: this.meta.robotId, ...((m.info ?? {}) as Record<string, never>) },
        taskState: null,
      },
      new Uint8Array(0),
    );
    this.open = { episode: m.episode, pending: null, steps: 0, ret: 0 };
  }

  private async flushPending(reward: number, terminated: boolean, truncated: boolean, applied?: Float32Array): Promise<void> {
    const o = this.open;
    if (!o?.pending) return;
    const w = await this.writer;
    const p = o.pending;
    const step: StepInput = { obs: p.obs, action: p.action, appliedAction: applied ?? p.action, reward, terminated, truncated, latencyMs: p.latencyMs };
    w.writeStep(step);
    o.steps++;
    o.ret += reward;
    o.pending = null;
  }

  /** An observation arrived and was answered with `action`. */
  async step(m: RecordedObs, action: Float32Array, latencyMs: number): Promise<void> {
    if (!this.open || this.open.episode !== m.episode) return; // obs outside an announced episode: served, not recorded
    await this.flushPending(m.reward ?? 0, m.terminated ?? false, m.truncated ?? false, m.applied);
    this.open.pending = { obs: m.obs, action, latencyMs };
  }

  async endEpisode(m: EpisodeEndMsg): Promise<void> {
    if (!this.open || this.open.episode !== m.episode) return;
    const w = await this.writer;
    await this.flushPending(m.reward ?? 0, m.terminated, m.truncated);
    const o = this.open;
    this.open = null;
    await w.endEpisode({ success: m.success, return: m.return ?? o.ret, length: m.length ?? o.steps, terminated: m.terminated, truncated: m.truncated });
  }

  /**
   * A new episode_start while an episode is open (its episode_end never came): the open episode
   * must stay incomplete, and a writer leaves an episode without its end record only by closing the
   * file, so the session goes on in a new file (`<name>-2.mcap`, `-3`, ...).
   */
  private async abandon(): Promise<void> {
    if (!this.open) return;
    this.open = null;
    const previous = this.writer;
    const next = join(this.dir, this.file.replace(/(\.mcap)?$/, `-${++this.part}.mcap`));
    this.writer = previous.then((w) => w.close()).then(() => EpisodeWriter.open(next));
    await this.writer;
  }

  /** The session ended (bye, silence, server closing): an open episode stays incomplete in the file. */
  async close(): Promise<void> {
    this.open = null;
    await (await this.writer).close();
  }
}
