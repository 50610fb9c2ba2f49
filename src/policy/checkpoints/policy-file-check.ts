/**
 * Checking a checkpoint before anything is built from it: policy.json (schema, then sizes against
 * its own contract), model.json's weight manifest against weights.bin, and the loaded networks
 * against the contract and architecture. A checkpoint is accepted by eval, serve, deploy and
 * fine-tuning alike, so garbage let through here reaches robots as finite nonsense or NaN actions.
 * Every refusal is one `file:field: expected X, got Y` line (InputError).
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { totalSize, type Component } from '../../sim/contract.js';
import { ComponentSchema } from '../../sim/scenario-schema.js';
import { formatIssue } from '../../sim/scenario-file.js';
import { normalizerStateProblem } from '../models/normalizer.js';
import type { PolicyArchitecture } from '../models/gaussian-policy.js';

export const CHECKPOINT_FORMAT = 'sim2real-policy/1';

/** Far above any network this project trains; a bigger one is a corrupt or hostile file. */
const MAX_UNITS = 1 << 16;
const MAX_HIDDEN_LAYERS = 64;

// Loose at the top level so a checkpoint with fields added later still loads here.
const PolicyFileSchema = z.looseObject({
  format: z.literal(CHECKPOINT_FORMAT),
  id: z.string().min(1),
  createdAt: z.string(),
  codeVersion: z.string(),
  contract: z.strictObject({ obs: z.array(ComponentSchema).min(1), action: z.array(ComponentSchema).min(1) }),
  // Metadata: readers cope with it missing (an unknown key with no `.optional()` would be reported as "expected nonoptional").
  scenario: z.unknown().optional(),
  architecture: z.strictObject({
    hidden: z.array(z.int().min(1).max(MAX_UNITS)).max(MAX_HIDDEN_LAYERS),
    activation: z.enum(['tanh', 'relu']),
    critic: z.boolean(),
    initLogStd: z.number(),
  }),
  // Sizes and finiteness are checked by hand below, against the contract, with better messages.
  logStd: z.array(z.unknown()),
  normalizer: z.unknown().optional(),
  delayCompensation: z.unknown().optional(),
  training: z.unknown().optional(),
  metrics: z.unknown().optional(),
});

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length > 6 ? `an array of ${v.length}` : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return 'an object';
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

function fail(file: string, field: string, text: string): never {
  throw new InputError(`${file}${field ? `:${field}` : ''}: ${text}`);
}

function checkComponents(side: 'obs' | 'action', components: readonly Component[], path: string): void {
  const seen = new Set<string>();
  components.forEach((c, i) => {
    const where = `contract.${side}.${i}`;
    if (seen.has(c.name))
      fail(
        path,
        `${where}.name`,
        `expected a name not used earlier in contract.${side}, got ${JSON.stringify(c.name)}`,
      );
    seen.add(c.name);
    for (const b of ['low', 'high'] as const) {
      const v = c[b];
      if (Array.isArray(v) && v.length !== c.size)
        fail(path, `${where}.${b}`, `expected ${c.size} values (the component's size), got ${v.length}`);
    }
    for (let k = 0; k < c.size; k++) {
      const lo = Array.isArray(c.low) ? c.low[k] : c.low;
      const hi = Array.isArray(c.high) ? c.high[k] : c.high;
      if (lo > hi)
        fail(path, `${where}.high${Array.isArray(c.high) ? `.${k}` : ''}`, `expected a value ≥ low (${lo}), got ${hi}`);
    }
  });
}

/**
 * Validate parsed policy.json (at `path`, named in errors): structure, a well-formed contract, and
 * normaliser and log-std sizes equal to the contract's with finite values. Returns it typed.
 */
export function checkPolicyFile<T>(raw: unknown, path: string): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(path, '', `expected a JSON object, got ${show(raw)}`);
  const format = (raw as { format?: unknown }).format;
  if (format !== CHECKPOINT_FORMAT) fail(path, 'format', `expected "${CHECKPOINT_FORMAT}", got ${show(format)}`);
  const parsed = PolicyFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(formatIssue(path, parsed.error.issues[0]));
  const f = parsed.data;
  checkComponents('obs', f.contract.obs, path);
  checkComponents('action', f.contract.action, path);
  const obsSize = totalSize(f.contract.obs);
  const actSize = totalSize(f.contract.action);
  const problem = normalizerStateProblem(f.normalizer, obsSize, "the contract's obs size");
  if (problem) fail(path, `normalizer${problem.field ? `.${problem.field}` : ''}`, problem.text);
  if (f.logStd.length !== actSize)
    fail(path, 'logStd', `expected ${actSize} finite numbers (the contract's action size), got ${f.logStd.length}`);
  const bad = f.logStd.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) fail(path, `logStd.${bad}`, `expected a finite number, got ${show(f.logStd[bad])}`);
  return raw as T;
}

const ModelJsonSchema = z.looseObject({
  modelTopology: z.looseObject({}),
  // One group in one file: what saveCheckpoint writes; a plain name, so a deployed model.json cannot point outside its checkpoint.
  weightsManifest: z
    .array(
      z.looseObject({
        paths: z.tuple([
          z
            .string()
            .regex(/^[\w.-]+$/, 'expected a file name in the checkpoint directory')
            .refine((p) => p !== '.' && p !== '..', 'expected a file name'),
        ]),
        weights: z.array(
          z.looseObject({ name: z.string(), shape: z.array(z.int().min(0)), dtype: z.literal('float32') }),
        ),
      }),
    )
    .length(1),
});

export type CheckedModelJson = z.infer<typeof ModelJsonSchema>;

/** Validate parsed model.json (at `path`); returns it with the weight file's name and expected byte length. */
export function checkModelJson(
  raw: unknown,
  path: string,
): { json: CheckedModelJson; weightsFile: string; bytes: number } {
  const parsed = ModelJsonSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(formatIssue(path, parsed.error.issues[0]));
  const group = parsed.data.weightsManifest[0];
  const bytes = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  return { json: parsed.data, weightsFile: group.paths[0], bytes };
}

/** A truncated or padded weights file would otherwise surface as a tfjs error about tensor value counts, or load shifted weights. */
export function checkWeightBytes(path: string, expected: number, got: number): void {
  if (got !== expected) fail(path, '', `expected ${expected} bytes (the float32 weights model.json lists), got ${got}`);
}

export interface NetworkExpectation {
  /** Files named in errors. */
  modelPath: string;
  weightsPath: string;
  policyPath: string;
  inputSize: number;
  outputSize: number;
  /** Why those sizes, e.g. "the contract's action size". */
  inputWhy: string;
  outputWhy: string;
  arch: PolicyArchitecture;
}

/**
 * The loaded network against what the policy runs it as: dense layers with kernel and bias (the
 * fast path reads exactly those), the contract's input and output sizes, the hidden sizes and
 * activation of the architecture, and finite weights.
 */
export function checkNetwork(model: tf.LayersModel, e: NetworkExpectation): void {
  const layers = model.layers;
  if (layers.length === 0) fail(e.modelPath, 'modelTopology', 'expected dense layers, got none');
  const hidden: number[] = [];
  layers.forEach((layer, i) => {
    const cls = layer.getClassName();
    if (cls !== 'Dense' || layer.weights.length !== 2)
      fail(
        e.modelPath,
        layer.name,
        `expected a Dense layer with kernel and bias, got ${cls} with ${layer.weights.length} weight tensors`,
      );
    const [inSize, units] = layer.weights[0].shape as number[];
    if (i === 0 && inSize !== e.inputSize)
      fail(
        e.modelPath,
        `${layer.name}.batch_input_shape`,
        `expected [null, ${e.inputSize}] (${e.inputWhy} in ${e.policyPath}), got [null, ${inSize}]`,
      );
    const last = i === layers.length - 1;
    if (last && units !== e.outputSize)
      fail(
        e.modelPath,
        `${layer.name}.units`,
        `expected ${e.outputSize} (${e.outputWhy} in ${e.policyPath}), got ${units}`,
      );
    if (!last) hidden.push(units);
    const activation = (layer.getConfig() as { activation?: unknown }).activation;
    const want = last ? 'linear' : e.arch.activation;
    if (activation !== want)
      fail(
        e.modelPath,
        `${layer.name}.activation`,
        `expected ${JSON.stringify(want)}${last ? ' (the output layer)' : ` (architecture.activation in ${e.policyPath})`}, got ${show(activation)}`,
      );
  });
  if (hidden.length !== e.arch.hidden.length || hidden.some((h, i) => h !== e.arch.hidden[i])) {
    fail(
      e.policyPath,
      'architecture.hidden',
      `expected ${JSON.stringify(hidden)} (the hidden layers in ${e.modelPath}), got ${JSON.stringify(e.arch.hidden)}`,
    );
  }
  for (const layer of layers) {
    for (const w of layer.weights) {
      const values = w.read().dataSync();
      for (let k = 0; k < values.length; k++) {
        if (!Number.isFinite(values[k]))
          fail(e.weightsPath, `${w.originalName}.${k}`, `expected a finite number, got ${values[k]}`);
      }
    }
  }
}
