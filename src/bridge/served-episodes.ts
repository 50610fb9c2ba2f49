/**
 * Recording what a server serves: one MCAP file per robot session, episodes with `source: real`.
 * A step's reward, flags and applied action arrive with the robot's next message, so each step is
 * held until then.
 */
import { join } from 'node:path';
import { EpisodeWriter } from '../episodes/writer.js';
import type { StepInput } from '../episodes/types.js';
import type { Contract } from '../sim/contract.js';
import type { EpisodeEndMsg, EpisodeStartMsg, ObsMsg } from './messages.js';

interface Pending {
  obs: Float32Array;
  action: Float32Array;
  latencyMs: number;
}

export class SessionRecorder {
  private writer: Promise<EpisodeWriter>;
  private open: { episode: number; pending: Pending | null; steps: number; ret: number } | null = null;

  constructor(
    dir: string,
    file: string,
    private readonly meta: { robotId: string; scenario: string; contract: Contract; controlHz: number },
  ) {
    this.writer = EpisodeWriter.open(join(dir, file));
  }

  async startEpisode(m: EpisodeStartMsg, policyId: string): Promise<void> {
    const w = await this.writer;
    if (this.open) await this.abandon();
    w.startEpisode(
      {
        index: m.episode,
        scenario: this.meta.scenario,
        task: 'real',
        seed: m.seed ?? 0,
        source: 'real',
        policyId,
        contract: this.meta.contract,
        controlHz: this.meta.controlHz,
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
  async step(m: ObsMsg, action: Float32Array, latencyMs: number): Promise<void> {
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

  /** The robot vanished mid-episode: the episode stays incomplete in the file. */
  private async abandon(): Promise<void> {
    this.open = null;
  }

  async close(): Promise<void> {
    await this.abandon();
    await (await this.writer).close();
  }
}
