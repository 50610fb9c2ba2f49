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
import { sleepUntil } from './clock.js';

export interface EmulateOptions {
  /** The reality profile file, named in errors (default: the profile's name). */
  realityFile?: string;
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
  /** Wall-clock time of the episodes (resets included), s. */
  seconds: number;
  missedSteps: number;
  latencyMs: { p50: number; p99: number; max: number };
  /**
   * Realtime only: the fraction of steps that began more than 5% of a control period after their
   * scheduled time (the previous step's work, or the wait, ran over).
   */
  overrunFraction: number | null;
  /** Realtime only: how late steps began after their scheduled time, ms. */
  startLagMs: { p50: number; p99: number; max: number } | null;
  policyVersions: number[];
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

export async function emulateRobot(
  R: Rapier,
  sc: Scenario,
  reality: Reality,
  opts: EmulateOptions,
): Promise<EmulateReport> {
  const env = await makeRealEnv(R, sc, reality, { file: opts.realityFile });
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
  const lags: number[] = [];
  const t0 = performance.now();
  let seconds = 0;
  // Step k of an episode is due at anchor + k periods plus the profile's jitter, which moves each
  // step around its grid point without accumulating (a real controller's clock does not drift).
  // At most half a period either way keeps the schedule in order.
  const maxJitter = period / 2;
  const due = (anchor: number, k: number) =>
    anchor + k * period + Math.max(-maxJitter, Math.min(maxJitter, jitter.normal(0, reality.timing.jitter_ms)));
  try {
    for (let ep = 0; ep < opts.episodes; ep++) {
      const seed = (opts.seed ?? 0) + ep;
      const r0 = env.reset({ seed });
      await client.startEpisode(ep, seed, { reality: reality.name, ...r0.info.randomization });
      let obs = r0.obs;
      let prev: { reward: number; terminated: boolean; truncated: boolean; applied: Float32Array } | undefined;
      let ret = 0;
      let missed = 0;
      let anchor = performance.now();
      for (let t = 0; ; t++) {
        if (opts.realtime && t > 0) {
          const at = due(anchor, t);
          await sleepUntil(at);
          const lag = performance.now() - at;
          lags.push(lag);
          if (lag > 0.05 * period) overruns++;
          // Fell a whole period behind: start the grid again from here rather than rush to catch up.
          if (lag > period) anchor = performance.now() - t * period;
        }
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
        if (s.terminated || s.truncated) {
          const success = s.info.success;
          await client.endEpisode({
            episode: ep,
            success,
            terminated: s.terminated,
            truncated: s.truncated,
            reward: s.reward,
            return: ret,
            length: t + 1,
          });
          successes += success ? 1 : 0;
          sumReturn += ret;
          sumLength += t + 1;
          opts.onEpisode?.({ index: ep, success, return: ret, length: t + 1, missed });
          break;
        }
      }
    }
  } finally {
    seconds = (performance.now() - t0) / 1000;
    await client.close();
    env.close();
  }
  latencies.sort((x, y) => x - y);
  lags.sort((x, y) => x - y);
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
    seconds,
    missedSteps: client.missedSteps,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? NaN,
    },
    overrunFraction: opts.realtime ? overruns / Math.max(1, lags.length) : null,
    startLagMs: opts.realtime
      ? { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags[lags.length - 1] ?? NaN }
      : null,
    policyVersions: [...versions].sort((x, y) => x - y),
  };
}
