/**
 * Grid planning over the arena: a clearance grid (distance from each cell centre to the nearest
 * wall/obstacle surface), A* over the cells with enough clearance (the task's reachability check)
 * and a Dijkstra cost-to-go field from the goal (the expert's navigation function).
 * 8-connected, deterministic tie-breaking (heap order + fixed neighbour order).
 */
import { StaticShapes, primitiveBounds, type Primitive } from './geometry.js';

const DX = [1, -1, 0, 0, 1, 1, -1, -1];
const DY = [0, 0, 1, -1, 1, -1, 1, -1];
const DL = [1, 1, 1, 1, Math.SQRT2, Math.SQRT2, Math.SQRT2, Math.SQRT2];

export class ClearanceGrid {
  /** Cells per side. */
  readonly n: number;
  /** Lower-left corner of the grid (both axes), m. */
  readonly origin: number;
  /** Clearance per cell (row-major, index = iy * n + ix), capped at maxDist, m. */
  readonly clear: Float32Array;

  /**
   * @param half arena inner half-size, m
   * @param res cell size, m
   * @param maxDist clearances beyond this are stored as maxDist (keeps the build cheap)
   */
  constructor(
    prims: readonly Primitive[],
    half: number,
    readonly res: number,
    readonly maxDist: number,
  ) {
    this.n = Math.max(1, Math.round((2 * half) / res));
    this.origin = -half;
    const n = this.n;
    this.clear = new Float32Array(n * n).fill(maxDist);
    // Each shape only reaches the cells within maxDist of its bounding box; the minimum over those
    // shapes equals the minimum over all shapes wherever it is below maxDist.
    const shapes = new StaticShapes(prims);
    prims.forEach((p, s) => {
      const [x0, y0, x1, y1] = primitiveBounds(p);
      const i0 = this.clampCell(Math.floor((x0 - maxDist - this.origin) / res));
      const i1 = this.clampCell(Math.floor((x1 + maxDist - this.origin) / res));
      const j0 = this.clampCell(Math.floor((y0 - maxDist - this.origin) / res));
      const j1 = this.clampCell(Math.floor((y1 + maxDist - this.origin) / res));
      for (let j = j0; j <= j1; j++) {
        for (let i = i0; i <= i1; i++) {
          const k = j * n + i;
          const d = shapes.distanceTo(s, this.cx(k), this.cy(k));
          if (d < this.clear[k]) this.clear[k] = d;
        }
      }
    });
  }

  private clampCell(i: number): number {
    return i < 0 ? 0 : i >= this.n ? this.n - 1 : i;
  }

  /** Index of the cell containing (x, y), clamped to the grid. */
  cellOf(x: number, y: number): number {
    const i = this.clampCell(Math.floor((x - this.origin) / this.res));
    const j = this.clampCell(Math.floor((y - this.origin) / this.res));
    return j * this.n + i;
  }

  cx(k: number): number {
    return this.origin + ((k % this.n) + 0.5) * this.res;
  }

  cy(k: number): number {
    return this.origin + (Math.floor(k / this.n) + 0.5) * this.res;
  }

  /** Clearance of the cell containing (x, y). */
  at(x: number, y: number): number {
    return this.clear[this.cellOf(x, y)];
  }

  /** Visit the in-grid 8-neighbours of cell k: f(neighbour, step length in cells). */
  neighbours(k: number, f: (m: number, len: number) => void): void {
    const n = this.n;
    const i = k % n;
    const j = (k - i) / n;
    for (let d = 0; d < 8; d++) {
      const a = i + DX[d];
      const b = j + DY[d];
      if (a < 0 || b < 0 || a >= n || b >= n) continue;
      f(b * n + a, DL[d]);
    }
  }
}

/** Binary min-heap of (key, id) with lazy deletion; ids are cell indices. */
class MinHeap {
  private keys = new Float64Array(256);
  private ids = new Int32Array(256);
  size = 0;

  push(key: number, id: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.size * 2);
      k.set(this.keys);
      this.keys = k;
      const d = new Int32Array(this.size * 2);
      d.set(this.ids);
      this.ids = d;
    }
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p] <= key) break;
      this.keys[i] = this.keys[p];
      this.ids[i] = this.ids[p];
      i = p;
    }
    this.keys[i] = key;
    this.ids[i] = id;
  }

  /** Remove the smallest entry; returns its id (key in `lastKey`). */
  pop(): number {
    const top = this.ids[0];
    this.lastKey = this.keys[0];
    const key = this.keys[--this.size];
    const id = this.ids[this.size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && this.keys[c + 1] < this.keys[c]) c++;
      if (this.keys[c] >= key) break;
      this.keys[i] = this.keys[c];
      this.ids[i] = this.ids[c];
      i = c;
    }
    this.keys[i] = key;
    this.ids[i] = id;
    return top;
  }

  lastKey = 0;
}

/**
 * Shortest 8-connected path (cell indices, start first) through cells with clearance >= minClear,
 * or null. Diagonal moves need both side cells free too (no corner cutting).
 */
export function astar(grid: ClearanceGrid, minClear: number, start: number, goal: number): number[] | null {
  const free = (k: number) => grid.clear[k] >= minClear;
  if (!free(start) || !free(goal)) return null;
  const n = grid.n;
  const gx = goal % n;
  const gy = (goal - gx) / n;
  const h = (k: number) => {
    const dx = Math.abs((k % n) - gx);
    const dy = Math.abs(Math.floor(k / n) - gy);
    return Math.max(dx, dy) + (Math.SQRT2 - 1) * Math.min(dx, dy);
  };
  const g = new Float64Array(n * n).fill(Infinity);
  const parent = new Int32Array(n * n).fill(-1);
  const closed = new Uint8Array(n * n);
  const open = new MinHeap();
  g[start] = 0;
  open.push(h(start), start);
  while (open.size > 0) {
    const k = open.pop();
    if (closed[k]) continue;
    if (k === goal) break;
    closed[k] = 1;
    grid.neighbours(k, (m, len) => {
      if (closed[m] || !free(m)) return;
      if (len > 1 && !(free(k - (k % n) + (m % n)) && free(m - (m % n) + (k % n)))) return;
      const gm = g[k] + len;
      if (gm < g[m]) {
        g[m] = gm;
        parent[m] = k;
        open.push(gm + h(m), m);
      }
    });
  }
  if (g[goal] === Infinity) return null;
  const path: number[] = [];
  for (let k = goal; k !== -1; k = parent[k]) path.push(k);
  return path.reverse();
}

/**
 * Dijkstra cost-to-go from `goal` over cells with clearance > hardClear. A step costs its length
 * (m) times `1 + weight * ((softClear - c) / (softClear - hardClear))^2` when the clearance c of the
 * cell entered is below softClear, so cheapest paths keep away from obstacles. Infinity = unreachable.
 */
export function costToGo(
  grid: ClearanceGrid,
  goal: number,
  hardClear: number,
  softClear: number,
  weight: number,
): Float64Array {
  const n = grid.n;
  const cost = new Float64Array(n * n).fill(Infinity);
  const done = new Uint8Array(n * n);
  const heap = new MinHeap();
  const penalty = new Float64Array(n * n);
  const span = Math.max(1e-6, softClear - hardClear);
  for (let k = 0; k < n * n; k++) {
    const c = grid.clear[k];
    const u = c < softClear ? (softClear - c) / span : 0;
    penalty[k] = c <= hardClear ? Infinity : grid.res * (1 + weight * u * u);
  }
  cost[goal] = 0;
  heap.push(0, goal);
  while (heap.size > 0) {
    const k = heap.pop();
    if (done[k]) continue;
    done[k] = 1;
    const ck = heap.lastKey;
    grid.neighbours(k, (m, len) => {
      if (done[m] || penalty[m] === Infinity) return;
      const cm = ck + len * penalty[m];
      if (cm < cost[m]) {
        cost[m] = cm;
        heap.push(cm, m);
      }
    });
  }
  return cost;
}
