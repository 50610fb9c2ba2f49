/**
 * Counting observations outside the contract's range, per episode (a served episode's end record
 * carries the count; flags.ts). Bounds are compared in float32, the precision the robot sends.
 */
import { bounds, type Contract } from '../sim/contract.js';
import type { ObsOutOfRange } from './types.js';

export class ObsRangeCheck {
  readonly #low: Float32Array;
  readonly #high: Float32Array;
  /** Per flat element: its component's name and its index within the component. */
  readonly #component: string[] = [];
  readonly #element: number[] = [];

  constructor(contract: Contract) {
    ({ low: this.#low, high: this.#high } = bounds(contract.obs));
    for (const c of contract.obs) {
      for (let i = 0; i < c.size; i++) {
        this.#component.push(c.name);
        this.#element.push(i);
      }
    }
  }

  static empty(): ObsOutOfRange {
    return { steps: 0, values: 0 };
  }

  /** Add the values of `obs` (step `step`) outside the range to `tally`. Not a number counts as outside. */
  count(obs: ArrayLike<number>, step: number, tally: ObsOutOfRange): void {
    const low = this.#low;
    const high = this.#high;
    const n = Math.min(obs.length, low.length);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const v = obs[i];
      if (v >= low[i] && v <= high[i]) continue;
      bad++;
      tally.first ??= { step, component: this.#component[i], index: this.#element[i], value: v };
    }
    if (bad > 0) {
      tally.steps++;
      tally.values += bad;
    }
  }
}
