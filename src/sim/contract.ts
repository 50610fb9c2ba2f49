/**
 * The observation/action contract: named vector components with units and ranges. It travels in
 * every scenario, episode file, checkpoint and bridge handshake; mismatches are refused by name.
 */

export interface Component {
  name: string;
  size: number;
  unit: string;
  /** Lower bound per element (a single number applies to all elements). */
  low: number | number[];
  /** Upper bound per element. */
  high: number | number[];
  description?: string;
}

export interface Contract {
  obs: Component[];
  action: Component[];
}

export function totalSize(components: readonly Component[]): number {
  return components.reduce((n, c) => n + c.size, 0);
}

/** Flattened per-element bounds of a component list. */
export function bounds(components: readonly Component[]): { low: Float32Array; high: Float32Array } {
  const n = totalSize(components);
  const low = new Float32Array(n);
  const high = new Float32Array(n);
  let k = 0;
  for (const c of components) {
    for (let i = 0; i < c.size; i++, k++) {
      low[k] = Array.isArray(c.low) ? c.low[i] : c.low;
      high[k] = Array.isArray(c.high) ? c.high[i] : c.high;
    }
  }
  return { low, high };
}

/** Offset of a named component inside the flat vector. */
export function offsetOf(components: readonly Component[], name: string): number {
  let k = 0;
  for (const c of components) {
    if (c.name === name) return k;
    k += c.size;
  }
  throw new Error(`contract: no component named "${name}" (have ${components.map((c) => c.name).join(', ')})`);
}

function sameBounds(a: number | number[], b: number | number[], size: number): boolean {
  for (let i = 0; i < size; i++) {
    const x = Array.isArray(a) ? a[i] : a;
    const y = Array.isArray(b) ? b[i] : b;
    if (x !== y) return false;
  }
  return true;
}

function describe(c: Component): string {
  return `${c.name}[${c.size}] ${c.unit} [${JSON.stringify(c.low)}, ${JSON.stringify(c.high)}]`;
}

/**
 * The first difference between two contracts, as a sentence naming the component, or null when they
 * agree on names, order, sizes, units and ranges.
 */
export function contractMismatch(expected: Contract, actual: Contract): string | null {
  for (const side of ['obs', 'action'] as const) {
    const e = expected[side];
    const a = actual[side];
    const n = Math.max(e.length, a.length);
    for (let i = 0; i < n; i++) {
      const ec = e[i];
      const ac = a[i];
      if (!ec) return `${side}[${i}]: unexpected extra component ${describe(ac)}`;
      if (!ac) return `${side}[${i}]: missing component ${describe(ec)}`;
      if (ec.name !== ac.name) return `${side}[${i}]: expected component "${ec.name}", got "${ac.name}"`;
      if (ec.size !== ac.size) return `${side}.${ec.name}: expected size ${ec.size}, got ${ac.size}`;
      if (ec.unit !== ac.unit) return `${side}.${ec.name}: expected unit "${ec.unit}", got "${ac.unit}"`;
      if (!sameBounds(ec.low, ac.low, ec.size) || !sameBounds(ec.high, ac.high, ec.size)) {
        return `${side}.${ec.name}: expected range [${JSON.stringify(ec.low)}, ${JSON.stringify(ec.high)}], got [${JSON.stringify(ac.low)}, ${JSON.stringify(ac.high)}]`;
      }
    }
  }
  return null;
}
