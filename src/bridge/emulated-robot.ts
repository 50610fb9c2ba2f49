/**
 * The emulated "real" robot: the scenario's world with a hidden reality gap (a reality profile),
 * driven through RobotClient exactly as hardware would be — observations out, actions in, the safe
 * action on missed deadlines. With `realtime` the control loop keeps the wall clock (with the
 * profile's timing jitter); otherwise it runs lock-step as fast as the server answers.
 */
import type { Rapier } from '../sim/rapier.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { makeRealEnv, type Reality } from '../sim/reality.js';
import { Rng } from '../sim/rng.js';
import { wilson, type SuccessStats } from '../episodes/summary.js';
import { RobotClient, type RobotClientOptions } from './robot-client.js';

export interface EmulateOptions {
  server: string;
  episodes: number;
  seed?: number;
  realtime?: boolean;
  robotId?: string;
  /** Deadline per step, ms (default: one control period). */
  deadlineMs?: number;
  curve?: RobotClientOptions['curve'];
  onEpisode?: (e: { index: number; success: boolean; return: number; length: number; missed: number }) => void;
  log?: (line: string) => void;
}

export interface EmulateReport extends SuccessStats {
  scenario: string;
  reality: string;
  steps: number;
  missedSteps: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Realtime only: control periods that ran over by more than 5%, as a fraction of steps. */
  overrunFraction: number | null;
  policyVersions: number[];
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

export async function emulateRobot(R: Rapier, sc: Scenario, reality: Reality, opts: EmulateOptions): Promise<EmulateReport> {
  const env = makeRealEnv(R, sc, reality);
  (env.unwrapped as { onWarn?: (m: string) => void }).onWarn = () => {};
  const period = 1000 / sc.control.rate_hz;
  const client = await RobotClient.connect({
    server: opts.server,
    robotId: opts.robotId ?? `emulated-${sc.name}`,
    contract: sc.contract,
    safeAction: sc.safe_action,
    deadlineMs: opts.deadlineMs ?? period,
    scenario: sc.name,
    curve: opts.curve,
    log: opts.log,
  });
  const jitter = new Rng(Rng.deriveSeed(opts.seed ?? 0, 'control-jitter'));
  const latencies: number[] = [];
  const versions = new Set<number>();
  let successes = 0;
  let sumReturn = 0;
  let sumLength = 0;
  let steps = 0;
  let overruns = 0;
  try {
    for (let ep = 0; ep < opts.episodes; ep++) {
      const seed = (opts.seed ?? 0) + ep;
      const r0 = env.reset({ seed });
      await client.startEpisode(ep, seed, { reality: reality.name, ...r0.info.randomization });
      let obs = r0.obs;
      let prev: { reward: number; terminated: boolean; truncated: boolean; applied: Float32Array } | undefined;
      let ret = 0;
      let missed = 0;
      let next = performance.now();
      for (let t = 0; ; t++) {
        const a = await client.act(ep, t, obs, prev);
        if (a.missed) missed++;
        else {
          latencies.push(a.latencyMs);
          versions.add(a.policyVersion);
        }
        const s = env.step(a.action);
        ret += s.reward;
        steps++;
        prev = { reward: s.reward, terminated: s.terminated, truncated: s.truncated, applied: s.info.appliedAction };
        obs = s.obs;
        if (opts.realtime) {
          next += period + jitter.normal(0, reality.timing.jitter_ms);
          const wait = next - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          else if (-wait > 0.05 * period) overruns++;
          if (wait < -period) next = performance.now(); // fell far behind: don't try to catch up
        }
        if (s.terminated || s.truncated) {
          const success = s.info.success;
          await client.endEpisode({ episode: ep, success, terminated: s.terminated, truncated: s.truncated, reward: s.reward, return: ret, length: t + 1 });
          successes += success ? 1 : 0;
          sumReturn += ret;
          sumLength += t + 1;
          opts.onEpisode?.({ index: ep, success, return: ret, length: t + 1, missed });
          break;
        }
      }
    }
  } finally {
    await client.close();
    env.close();
  }
  latencies.sort((x, y) => x - y);
  const n = opts.episodes;
  return {
    scenario: sc.name,
    reality: reality.name,
    episodes: n,
    successes,
    successRate: successes / n,
    successCi95: wilson(successes, n),
    meanReturn: sumReturn / n,
    meanLength: sumLength / n,
    steps,
    missedSteps: client.missedSteps,
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN },
    overrunFraction: opts.realtime ? overruns / Math.max(1, steps) : null,
    policyVersions: [...versions].sort((x, y) => x - y),
  };
}
