/**
 * Proximal Policy Optimization (Schulman et al. 2017) with GAE, on a VectorEnv, in the shape of
 * CleanRL's ppo_continuous_action.py: read `trainPpo` top to bottom.
 *
 * Per update: collect T steps × N envs with the tanh-squashed Gaussian policy (normaliser and
 * weights frozen) → fold the rollout's observations into the running normaliser (then frozen for
 * the optimisation) → V and log π_old under it → GAE(γ, λ), bootstrapping from V(final obs) on
 * truncation and not at all on termination → K epochs of minibatch Adam on
 * L = L^CLIP − c_ent·H + c_vf·L^VF, advantages normalised per minibatch, gradients clipped by
 * global norm → metrics, progress, a resumable checkpoint every `checkpointEvery` updates.
 *
 * Randomness: env seeds, action noise and minibatch order come from Rng streams derived from
 * `seed` and the update index, so a resumed run needs no generator state, only the update index.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scenario } from '../../sim/scenario-schema.js';
import { Rng } from '../../sim/rng.js';
import { VectorEnv } from '../../sim/vector-env.js';
import type { RunDir } from '../../runs/run-dir.js';
import { initBackend } from '../models/backend.js';
import { DEFAULT_EVAL_SEED, evaluate } from '../evaluate.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import { actorMean, criticValue } from './mlp.js';
import { computeGae, explainedVariance } from './gae.js';
import {
  clippedSurrogateLoss,
  clipByGlobalNorm,
  gaussianEntropy,
  normalizeAdvantages,
  tanhGaussianLogProb,
  valueLoss,
} from './losses.js';
import { allocateRollout, collectRollout, EpisodeTracker, type FinishedEpisode } from './rollout.js';
import { hasTrainingCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint } from './state.js';
import { AnnealedAdam, initialPolicy, rewriteMetricsUpTo, scoreBatch, shuffled } from './support.js';
import { FRESH_LOG_STD, resolvePpoConfig, type PpoConfig, type PpoUpdateMetrics } from './config.js';

export { DEFAULT_PPO_CONFIG, resolvePpoConfig, type PpoConfig, type PpoUpdateMetrics } from './config.js';

export interface PpoOptions extends Partial<PpoConfig> {
  scenario: Scenario;
  /**
   * Start from this policy (e.g. behaviour cloning): weights, σ and normaliser are copied; a missing
   * critic is built fresh (and warmed up); FINE_TUNE_DEFAULTS replace some defaults.
   */
  init?: GaussianMlpPolicy;
  /** Log metrics to run/metrics.jsonl, plot learning curves and write resumable checkpoints to run.latestDir. */
  run?: RunDir;
  /**
   * Continue from run.latestDir when it holds a checkpoint (settings come from the checkpoint;
   * `envSteps` may extend the run, `workers` may change); without one, start fresh and drop any
   * metrics rows the interrupted run logged.
   */
  resume?: boolean;
  /** Policy id (default `ppo-<scenario>-<ISO time>`). */
  id?: string;
  /** Called once the run knows where it starts (update 0, or the resumed checkpoint's) and ends. */
  onStart?: (s: PpoStart) => void;
  /** Called after every update. */
  onProgress?: (m: PpoUpdateMetrics, total: { updates: number; envSteps: number }) => void;
}

export interface PpoStart {
  config: PpoConfig;
  /** Updates already done (resume) and in total. */
  update: number;
  updates: number;
  envSteps: number;
  totalEnvSteps: number;
  policyId: string;
}

export interface PpoResult {
  policy: GaussianMlpPolicy;
  metrics: PpoUpdateMetrics[];
  config: PpoConfig;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export async function trainPpo(opts: PpoOptions): Promise<PpoResult> {
  await initBackend();
  const { scenario, run } = opts;

  // Start fresh or from the last checkpoint.
  let policy: GaussianMlpPolicy;
  let config: PpoConfig;
  let start = { update: 0, envSteps: 0, wallSeconds: 0 };
  let optimizerWeights: { name: string; tensor: tf.Tensor }[] | null = null;
  if (opts.resume && !run) throw new Error('ppo: resume needs a run directory');
  if (opts.resume && run && hasTrainingCheckpoint(run.latestDir)) {
    const saved = await loadTrainingCheckpoint(run.latestDir);
    const savedConfig = saved.state.config as PpoConfig;
    policy = saved.policy;
    config = {
      ...savedConfig,
      envSteps: opts.envSteps ?? savedConfig.envSteps,
      workers: opts.workers ?? savedConfig.workers,
    };
    start = { update: saved.state.update, envSteps: saved.state.envSteps, wallSeconds: saved.state.wallSeconds };
    optimizerWeights = saved.optimizerWeights;
    rewriteMetricsUpTo(run, start.update);
  } else {
    if (opts.resume && run) rewriteMetricsUpTo(run, 0);
    config = resolvePpoConfig(opts, opts.init);
    policy = initialPolicy(
      scenario,
      config,
      opts.init,
      opts.id ?? `ppo-${scenario.name}-${new Date().toISOString().slice(0, 19)}Z`,
      FRESH_LOG_STD,
    );
  }
  const { numEnvs: N, rolloutSteps: T, gamma, gaeLambda, clipCoef } = config;
  const criticWarmup = config.criticWarmup ?? 0;
  const batchSize = T * N;
  const minibatchSize = Math.max(1, Math.floor(batchSize / config.minibatches));
  const numUpdates = Math.max(1, Math.ceil(config.envSteps / batchSize));

  // θ: the actor (minus frozen layers), log σ and the critic, all under one Adam.
  const params = [...policy.actorVariables(config.frozenLayers), policy.logStd, ...policy.criticVariables()];
  const optimizer = new AnnealedAdam(config.learningRate, 0.9, 0.999, 1e-5);
  if (optimizerWeights) {
    await optimizer.setWeights(optimizerWeights);
    tf.dispose(optimizerWeights.map((w) => w.tensor));
  }

  opts.onStart?.({
    config,
    update: start.update,
    updates: numUpdates,
    envSteps: start.envSteps,
    totalEnvSteps: numUpdates * batchSize,
    policyId: policy.id,
  });
  const envSeed = start.update === 0 ? config.seed : Rng.deriveSeed(config.seed, `ppo/envs/${start.update}`);
  const venv = await VectorEnv.create({
    scenario,
    numEnvs: N,
    workers: config.workers,
    randomize: config.randomize,
    maxSteps: config.maxSteps ?? undefined,
    seed: envSeed,
  });
  const metrics: PpoUpdateMetrics[] = [];
  const t0 = performance.now();
  const wallSeconds = () => start.wallSeconds + (performance.now() - t0) / 1000;
  let envSteps = start.envSteps;
  const checkpoint = async (update: number) => {
    if (!run) return;
    const last = metrics.at(-1) ?? null;
    await saveTrainingCheckpoint(
      run.latestDir,
      policy,
      optimizer,
      { update, envSteps, wallSeconds: wallSeconds(), config },
      { scenario, training: { algo: 'ppo', ...config, init: opts.init?.id ?? null }, metrics: last },
    );
    await plotLearningCurves(run, scenario.name);
  };

  try {
    let obs: Float32Array = (await venv.reset()).slice();
    const buf = allocateRollout(T, N, venv.obsSize, venv.actSize);
    const tracker = new EpisodeTracker(N);
    for (let update = start.update; update < numUpdates; update++) {
      const tUpdate = performance.now();
      // Learning-rate annealing: α·(1 − update / numUpdates).
      const lr = config.annealLr ? config.learningRate * (1 - update / numUpdates) : config.learningRate;
      optimizer.setLearningRate(lr);

      // 1. Rollout: T steps × N envs with the current (frozen) policy.
      obs = await collectRollout(venv, policy, obs, buf, Rng.derive(config.seed, `ppo/noise/${update}`), tracker);
      envSteps += batchSize;
      const finished: FinishedEpisode[] = tracker.drain();
      const rolloutSeconds = (performance.now() - tUpdate) / 1000;

      // 2. Normaliser: fold in this rollout's observations, then frozen for the optimisation.
      if (config.updateNormalizer) policy.normalizer.update(buf.obs, batchSize);

      // 3. V(s_t), log π_old(a_t|s_t), V(final obs) at episode ends, V(s_T).
      const scored = scoreBatch(policy, buf);
      const rewards = config.rewardScale === 1 ? buf.rewards : buf.rewards.map((r) => r * config.rewardScale);

      // 4. Advantages and returns (GAE).
      const { advantages, returns } = computeGae({
        T,
        N,
        rewards,
        values: scored.values,
        terminated: buf.terminated,
        truncated: buf.truncated,
        finalValues: scored.finalValues,
        lastValues: scored.lastValues,
        gamma,
        lambda: gaeLambda,
      });

      // 5. K epochs of minibatch Adam on the clipped objective.
      const b = tf.tidy(() => ({
        obs: tf.tensor2d(scored.normObs, [batchSize, venv.obsSize]),
        u: tf.tensor2d(buf.u, [batchSize, venv.actSize]),
        logProbs: tf.tensor1d(scored.logProbs),
        advantages: tf.tensor1d(advantages),
        returns: tf.tensor1d(returns),
        values: tf.tensor1d(scored.values),
      }));
      for (const t of Object.values(b)) tf.keep(t);
      const shuffleRng = Rng.derive(config.seed, `ppo/minibatches/${update}`);
      // During the critic warm-up the actor's part of the loss is weighted 0: its gradients are
      // zero, so Adam leaves actor and σ where they are (one optimizer, same slots throughout).
      const actorWeight = update < criticWarmup ? 0 : 1;
      const stats = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, n: 0 };
      let epochKl = 0;
      for (let epoch = 0; epoch < config.epochs; epoch++) {
        const order = shuffled(batchSize, shuffleRng);
        epochKl = 0;
        let epochMinibatches = 0;
        for (let startRow = 0; startRow + minibatchSize <= batchSize; startRow += minibatchSize) {
          const idx = tf.tensor1d(order.subarray(startRow, startRow + minibatchSize), 'int32');
          let mbStats: tf.Tensor1D | null = null;
          const { value: loss, grads } = tf.variableGrads(() => {
            const mbObs = tf.gather(b.obs, idx) as tf.Tensor2D;
            const newLogProbs = tanhGaussianLogProb(
              tf.gather(b.u, idx) as tf.Tensor2D,
              actorMean(policy, mbObs),
              policy.logStd as tf.Tensor1D,
            );
            const logRatio = tf.sub(newLogProbs, tf.gather(b.logProbs, idx)) as tf.Tensor1D;
            const ratio = tf.exp(logRatio);
            let mbAdvantages = tf.gather(b.advantages, idx) as tf.Tensor1D;
            if (config.normAdv) mbAdvantages = normalizeAdvantages(mbAdvantages);
            const pgLoss = clippedSurrogateLoss(logRatio, mbAdvantages, clipCoef);
            const vLoss = valueLoss(
              criticValue(policy, mbObs),
              tf.gather(b.values, idx) as tf.Tensor1D,
              tf.gather(b.returns, idx) as tf.Tensor1D,
              config.clipValueLoss ? clipCoef : null,
            );
            const entropy = gaussianEntropy(policy.logStd as tf.Tensor1D);
            // CleanRL's approx_kl (Schulman's k3 estimator) and clip fraction, for logging.
            const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
            const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clipCoef), 'float32'));
            mbStats = tf.keep(tf.stack([pgLoss, vLoss, entropy, approxKl, clipFraction]) as tf.Tensor1D);
            const actorLoss = tf.sub(pgLoss, tf.mul(config.entCoef, entropy));
            return tf.add(tf.mul(actorWeight, actorLoss), tf.mul(config.vfCoef, vLoss)) as tf.Scalar;
          }, params);
          const { clipped } = clipByGlobalNorm(
            params.map((p) => grads[p.name]),
            config.maxGradNorm,
          );
          optimizer.applyGradients(params.map((p, i) => ({ name: p.name, tensor: clipped[i] })));
          const [pg, vl, ent, kl, cf] = (mbStats as unknown as tf.Tensor1D).dataSync();
          tf.dispose([loss, idx, mbStats as unknown as tf.Tensor, ...Object.values(grads), ...clipped]);
          stats.policyLoss += pg;
          stats.valueLoss += vl;
          stats.entropy += ent;
          stats.approxKl += kl;
          stats.clipFraction += cf;
          stats.n += 1;
          epochKl += kl;
          epochMinibatches += 1;
        }
        epochKl /= Math.max(1, epochMinibatches);
        if (config.targetKl !== null && epochKl > config.targetKl) break;
      }
      tf.dispose(Object.values(b));
      policy.syncFastPath();

      // 6. Metrics, progress, checkpoint.
      const updateSeconds = (performance.now() - tUpdate) / 1000;
      const m: PpoUpdateMetrics = {
        update: update + 1,
        envSteps,
        wallSeconds: wallSeconds(),
        sps: batchSize / updateSeconds,
        episodes: finished.length,
        episodeReturn: mean(finished.map((e) => e.return)),
        successRate: mean(finished.map((e) => (e.success ? 1 : 0))),
        episodeLength: mean(finished.map((e) => e.length)),
        policyLoss: stats.policyLoss / stats.n,
        valueLoss: stats.valueLoss / stats.n,
        entropy: stats.entropy / stats.n,
        approxKl: stats.approxKl / stats.n,
        clipFraction: stats.clipFraction / stats.n,
        explainedVariance: explainedVariance(scored.values, returns),
        learningRate: lr,
        actionStd: mean(policy.logStdValues.map(Math.exp)) ?? 0,
        rolloutSeconds,
        optimizeSeconds: updateSeconds - rolloutSeconds,
      };
      if (config.evalEvery > 0 && ((update + 1) % config.evalEvery === 0 || update + 1 === numUpdates)) {
        const r = await evaluate(policy, scenario, { episodes: config.evalEpisodes, seed: DEFAULT_EVAL_SEED });
        m.evalSuccessRate = r.successRate;
        m.evalReturn = r.meanReturn;
      }
      metrics.push(m);
      run?.logMetrics({ ...m });
      opts.onProgress?.(m, { updates: numUpdates, envSteps: numUpdates * batchSize });
      if ((update + 1) % config.checkpointEvery === 0 || update + 1 === numUpdates) await checkpoint(update + 1);
    }
  } finally {
    await venv.close();
  }
  return { policy, metrics, config };
}

/** Success rate and return against env steps, from run/metrics.jsonl. */
export async function plotLearningCurves(run: RunDir, scenarioName: string): Promise<void> {
  // successRate/episodeReturn: training episodes (sampled actions); eval*: deterministic, nominal sim.
  await run.plot('success', `PPO on ${scenarioName}: success rate`, 'envSteps', ['successRate', 'evalSuccessRate'], {
    xTitle: 'env steps',
    yTitle: 'success rate',
  });
  await run.plot('return', `PPO on ${scenarioName}: episode return`, 'envSteps', ['episodeReturn', 'evalReturn'], {
    xTitle: 'env steps',
    yTitle: 'return',
  });
}
