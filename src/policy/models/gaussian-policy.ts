/**
 * The Gaussian MLP policy: observation normaliser → actor MLP → mean u; actions are tanh(u) when
 * deterministic, tanh(u + σ·ε) when sampled, so they always lie in [-1, 1]. A separate critic MLP
 * gives state values for PPO. Inference runs on the Float32Array fast path; training uses the
 * tfjs models (call `syncFastPath()` after changing weights).
 */
import * as tf from '@tensorflow/tfjs';
import { totalSize, type Contract } from '../../sim/contract.js';
import { Rng } from '../../sim/rng.js';
import { Normalizer } from './normalizer.js';
import { NO_DELAY_COMPENSATION, type DelayCompensation } from '../../sim/delay-compensator.js';
import { buildMlp, denseWeights, type Activation } from './mlp.js';
import { FastMlp } from './fast-mlp.js';
import type { ActOptions, Policy } from './policy.js';

export interface PolicyArchitecture {
  hidden: number[];
  activation: Activation;
  /** Build the value network too (PPO). */
  critic: boolean;
  /** Initial log standard deviation of the action noise (pre-tanh). */
  initLogStd: number;
}

export const DEFAULT_ARCHITECTURE: PolicyArchitecture = {
  hidden: [256, 256],
  activation: 'tanh',
  critic: true,
  initLogStd: -0.5,
};

export class GaussianMlpPolicy implements Policy {
  readonly obsSize: number;
  readonly actSize: number;
  readonly actor: tf.Sequential;
  readonly critic: tf.Sequential | null;
  readonly logStd: tf.Variable;
  normalizer: Normalizer;
  /** Set by training on delay-compensated data (a prior) and by fine-tuning (the robot's estimated delay). */
  delayCompensation: DelayCompensation = NO_DELAY_COMPENSATION;
  private fastActor: FastMlp;
  private fastCritic: FastMlp | null;
  private std: Float32Array;
  private readonly normBuf: Float32Array;
  private readonly fallbackRng = new Rng(0);

  constructor(
    public id: string,
    readonly contract: Contract,
    readonly arch: PolicyArchitecture,
    parts?: { actor: tf.Sequential; critic: tf.Sequential | null; logStd: number[]; normalizer: Normalizer },
  ) {
    this.obsSize = totalSize(contract.obs);
    this.actSize = totalSize(contract.action);
    this.actor =
      parts?.actor ??
      buildMlp(
        {
          inputSize: this.obsSize,
          hidden: arch.hidden,
          outputSize: this.actSize,
          activation: arch.activation,
          outputGain: 0.01,
        },
        'actor',
        1,
      );
    this.critic = parts
      ? parts.critic
      : arch.critic
        ? buildMlp(
            { inputSize: this.obsSize, hidden: arch.hidden, outputSize: 1, activation: arch.activation, outputGain: 1 },
            'critic',
            7,
          )
        : null;
    this.logStd = tf.variable(tf.tensor1d(parts?.logStd ?? new Array(this.actSize).fill(arch.initLogStd)), true);
    this.normalizer = parts?.normalizer ?? new Normalizer(this.obsSize);
    this.normBuf = new Float32Array(this.obsSize);
    this.fastActor = new FastMlp(denseWeights(this.actor), arch.activation);
    this.fastCritic = this.critic ? new FastMlp(denseWeights(this.critic), arch.activation) : null;
    this.std = Float32Array.from(this.logStd.dataSync(), Math.exp);
  }

  /** Re-read the weights into the inference path after training changed them. */
  syncFastPath(): void {
    this.fastActor = new FastMlp(denseWeights(this.actor), this.arch.activation);
    this.fastCritic = this.critic ? new FastMlp(denseWeights(this.critic), this.arch.activation) : null;
    this.std = Float32Array.from(this.logStd.dataSync(), Math.exp);
  }

  private checkObs(obs: ArrayLike<number>, n: number): void {
    if (obs.length !== n * this.obsSize)
      throw new Error(`policy ${this.id}: expected ${n} × ${this.obsSize} observation values, got ${obs.length}`);
  }

  /** Pre-tanh mean u of one observation (fast path). The array is reused by the next call. */
  mean(obs: ArrayLike<number>): Float32Array {
    return this.fastActor.forward(this.normalizer.apply(obs, this.normBuf));
  }

  /** State value of one observation (fast path); requires a critic. */
  value(obs: ArrayLike<number>): number {
    if (!this.fastCritic) throw new Error(`policy ${this.id}: has no critic`);
    return this.fastCritic.forward(this.normalizer.apply(obs, this.normBuf))[0];
  }

  act(obs: Float32Array, opts: ActOptions = {}): Float32Array {
    this.checkObs(obs, 1);
    const u = this.mean(obs);
    const out = new Float32Array(this.actSize);
    const sample = opts.deterministic === false;
    const rng = opts.rng ?? this.fallbackRng;
    for (let i = 0; i < this.actSize; i++) out[i] = Math.tanh(sample ? u[i] + this.std[i] * rng.normal() : u[i]);
    return out;
  }

  actBatch(obs: Float32Array, n: number, opts: ActOptions = {}): Float32Array {
    this.checkObs(obs, n);
    const out = new Float32Array(n * this.actSize);
    for (let k = 0; k < n; k++)
      out.set(this.act(obs.subarray(k * this.obsSize, (k + 1) * this.obsSize), opts), k * this.actSize);
    return out;
  }

  /** Pre-tanh means for a batch of already-normalised observations (training). */
  meanTensor(normObs: tf.Tensor2D): tf.Tensor2D {
    return this.actor.apply(normObs) as tf.Tensor2D;
  }

  /** Values for a batch of already-normalised observations (training). */
  valueTensor(normObs: tf.Tensor2D): tf.Tensor1D {
    if (!this.critic) throw new Error(`policy ${this.id}: has no critic`);
    return (this.critic.apply(normObs) as tf.Tensor2D).squeeze([1]) as tf.Tensor1D;
  }

  /** Trainable variables, leaving out the first `frozenLayers` actor layers (transfer learning). */
  actorVariables(frozenLayers = 0): tf.Variable[] {
    const vars: tf.Variable[] = [];
    this.actor.layers.forEach((layer, i) => {
      if (i >= frozenLayers) for (const w of layer.trainableWeights) vars.push(w.read() as tf.Variable);
    });
    return vars;
  }

  criticVariables(): tf.Variable[] {
    if (!this.critic) return [];
    return this.critic.layers.flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  get logStdValues(): number[] {
    return Array.from(this.logStd.dataSync());
  }

  dispose(): void {
    this.actor.dispose();
    this.critic?.dispose();
    this.logStd.dispose();
  }
}
