/**
 * The MLP forward pass for training, on the same variables as the tfjs layers models but with
 * hand-written gradients, because the wasm backend is slow at exactly what autodiff of a dense
 * layer asks for (bench/ppo.ts; docs/design.md, "Findings"): a matMul with transposeA/transposeB is
 * slower than transposing first and multiplying plainly, `sum(dy, 0)` slower than `ones · dy`, and
 * `tanh` slower than `2·sigmoid(2x) − 1` (same values to 2e-7), so a whole PPO gradient step gets
 * several times faster. Outputs and gradients equal the layers model's
 * (test/policy/ppo-mlp.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../models/mlp.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';

/** y = x·W + b, with dx = dy·Wᵀ, dW = xᵀ·dy, db = 1ᵀ·dy computed from explicit transposes. */
const dense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(g, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), g),
        tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]), g), [g.shape[1]]),
      ];
    },
  };
});

/** tanh(x) = 2·σ(2x) − 1, with d/dx = 1 − y². */
const fastTanh = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const y = tf.sub(tf.mul(2, tf.sigmoid(tf.mul(2, x))), 1);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(saved[0]))),
  };
});

/** `model.apply(x)` for a Sequential of dense layers (hidden ones with `activation`, linear output). */
function mlpForward(model: tf.Sequential, x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  let h: tf.Tensor = x;
  const last = model.layers.length - 1;
  model.layers.forEach((layer, i) => {
    const [kernel, bias] = layer.weights.map((w) => w.read());
    h = dense(h, kernel, bias);
    if (i < last) h = activation === 'tanh' ? fastTanh(h) : tf.relu(h);
  });
  return h as tf.Tensor2D;
}

/** Pre-tanh means μ(s) of already-normalised observations (= policy.meanTensor, faster to train). */
export function actorMean(policy: GaussianMlpPolicy, normObs: tf.Tensor2D): tf.Tensor2D {
  return mlpForward(policy.actor, normObs, policy.arch.activation);
}

/** V(s) of already-normalised observations (= policy.valueTensor, faster to train). */
export function criticValue(policy: GaussianMlpPolicy, normObs: tf.Tensor2D): tf.Tensor1D {
  if (!policy.critic) throw new Error(`policy ${policy.id}: has no critic`);
  return tf.squeeze(mlpForward(policy.critic, normObs, policy.arch.activation), [1]) as tf.Tensor1D;
}
