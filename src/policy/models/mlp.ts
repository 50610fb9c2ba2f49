/** Multi-layer perceptrons as tfjs layers models, and their weights as plain Float32Arrays. */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  inputSize: number;
  hidden: number[];
  outputSize: number;
  activation: Activation;
  /** Scale of the last layer's initial weights (small for policy heads). */
  outputGain?: number;
}

export function buildMlp(spec: MlpSpec, name: string, seed = 0): tf.Sequential {
  const model = tf.sequential({ name });
  let inputShape: number[] | undefined = [spec.inputSize];
  spec.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: spec.activation,
        inputShape,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        name: `${name}_h${i}`,
      }),
    );
    inputShape = undefined;
  });
  model.add(
    tf.layers.dense({
      units: spec.outputSize,
      inputShape,
      // A small last layer starts the policy near the zero action (CleanRL uses gain 0.01).
      kernelInitializer: tf.initializers.varianceScaling({
        scale: (spec.outputGain ?? 1) ** 2,
        mode: 'fanAvg',
        distribution: 'uniform',
        seed: seed + 100,
      }),
      name: `${name}_out`,
    }),
  );
  return model;
}

/** One dense layer: `w` is row-major [inSize × outSize] as tfjs stores kernels. */
export interface DenseWeights {
  w: Float32Array;
  b: Float32Array;
  inSize: number;
  outSize: number;
}

export function denseWeights(model: tf.LayersModel): DenseWeights[] {
  return model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights();
    const [inSize, outSize] = kernel.shape as [number, number];
    return { w: kernel.dataSync() as Float32Array, b: bias.dataSync() as Float32Array, inSize, outSize };
  });
}
