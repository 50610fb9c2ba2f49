/**
 * Fast JSON for `/step` messages. Float32Array vectors are written with 9 significant digits (the
 * shortest that always round-trips a float32, with trailing zeros dropped): smaller than
 * `JSON.stringify(Array.from(f32))`, as fast (docs/design.md, "Findings"), and exact after reading
 * back into a Float32Array.
 * Other arrays (float64 numbers) are written exactly. Non-finite values become `null`.
 */
import type { StepInput } from './types.js';

/** A step to encode: a StepInput with its episode, step number and time filled in. */
export type StepFields = StepInput & { episode: number; step: number; time: number };

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

function f32(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return 'null';
  const s = x.toPrecision(9);
  if (s.indexOf('e') >= 0) return String(Number(s));
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  return end === s.length ? s : s.slice(0, end);
}

export function vectorJson(v: ArrayLike<number>): string {
  const fmt = v instanceof Float32Array ? f32 : num;
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    if (i > 0) s += ',';
    s += fmt(v[i]);
  }
  return `${s}]`;
}

/** The JSON text of a `/step` message (same keys and order as StepMessage). */
export function stepJson(m: StepFields): string {
  let s =
    `{"episode":${num(m.episode)},"step":${num(m.step)},"time":${num(m.time)},"obs":${vectorJson(m.obs)},` +
    `"action":${vectorJson(m.action)},"appliedAction":${vectorJson(m.appliedAction)},"reward":${num(m.reward)},` +
    `"terminated":${m.terminated === true},"truncated":${m.truncated === true}`;
  if (m.trueObs !== undefined) s += `,"trueObs":${vectorJson(m.trueObs)}`;
  if (m.expertAction !== undefined) s += `,"expertAction":${vectorJson(m.expertAction)}`;
  if (m.latencyMs !== undefined) s += `,"latencyMs":${num(m.latencyMs)}`;
  return `${s}}`;
}

/** JSON numbers back to float32; `null` (a non-finite value on write) becomes NaN. */
export function toFloat32(v: readonly (number | null)[] | undefined): Float32Array {
  const out = new Float32Array(v?.length ?? 0);
  for (let i = 0; i < out.length; i++) {
    const x = v![i];
    out[i] = x === null ? NaN : x;
  }
  return out;
}
