/**
 * PPO's pieces as tfjs functions (Schulman et al. 2017), with the tanh-squashed Gaussian policy:
 * the network gives a pre-tanh mean μ(s), a sample is u = μ + σ·ε, the action a = tanh(u).
 *
 *   log π(a|s) = Σ_j [ log N(u_j; μ_j, σ_j) − log(1 − tanh(u_j)²) ]        (change of variables)
 *   L^CLIP     = −E[ min(r·Â, clip(r, 1 − ε, 1 + ε)·Â) ],   r = π_θ(a|s) / π_θold(a|s)
 *   L^VF       = ½·E[ max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) ]   (or unclipped ½·E[(V − R)²])
 *   entropy    = Σ_j (½·log(2πe) + log σ_j)      the Gaussian's (the tanh term has no closed form)
 *
 * The tanh correction depends only on the stored u, so it cancels in the ratio; it is kept so
 * that log-probs are those of the actions actually sent to the env.
 */
import * as tf from '@tensorflow/tfjs';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(1 − tanh(u)²) = 2·(log 2 − u − softplus(−2u)), stable for large |u|. */
function logTanhJacobian(u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(2, tf.sub(tf.sub(Math.log(2), u), tf.softplus(tf.mul(-2, u)))));
}

/** [B] log-density of the actions tanh(u) under the squashed Gaussian; u, mean: [B × A], logStd: [A]. */
export function tanhGaussianLogProb(u: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
    const gaussian = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), HALF_LOG_2PI);
    return tf.sum(tf.sub(gaussian, logTanhJacobian(u)), 1) as tf.Tensor1D;
  });
}

/** Entropy of the (pre-tanh) Gaussian; state-independent because σ is. */
export function gaussianEntropy(logStd: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI)) as tf.Scalar);
}

/** The clipped surrogate loss L^CLIP (to minimise), from log r = log π_θ − log π_θold. */
export function clippedSurrogateLoss(logRatio: tf.Tensor1D, advantages: tf.Tensor1D, clipCoef: number): tf.Scalar {
  return tf.tidy(() => {
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(tf.neg(advantages), ratio);
    const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - clipCoef, 1 + clipCoef));
    return tf.mean(tf.maximum(unclipped, clipped)) as tf.Scalar;
  });
}

/** The value loss; with `clipCoef` the new value may not move further than ±clipCoef from the old one for free. */
export function valueLoss(
  newValues: tf.Tensor1D,
  oldValues: tf.Tensor1D,
  returns: tf.Tensor1D,
  clipCoef: number | null,
): tf.Scalar {
  return tf.tidy(() => {
    const unclipped = tf.square(tf.sub(newValues, returns));
    if (clipCoef === null) return tf.mul(0.5, tf.mean(unclipped)) as tf.Scalar;
    const clippedValues = tf.add(oldValues, tf.clipByValue(tf.sub(newValues, oldValues), -clipCoef, clipCoef));
    const clipped = tf.square(tf.sub(clippedValues, returns));
    return tf.mul(0.5, tf.mean(tf.maximum(unclipped, clipped))) as tf.Scalar;
  });
}

/** Â normalised to zero mean, unit variance within a minibatch. */
export function normalizeAdvantages(advantages: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(advantages);
    // Unbiased std as torch's .std() (CleanRL), + 1e-8.
    const n = advantages.shape[0];
    const std = tf.sqrt(tf.mul(variance, n / Math.max(1, n - 1)));
    return tf.div(tf.sub(advantages, mean), tf.add(std, 1e-8)) as tf.Tensor1D;
  });
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: number } {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = normT.dataSync()[0];
  normT.dispose();
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
}
