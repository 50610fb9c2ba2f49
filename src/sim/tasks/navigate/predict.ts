/**
 * Short-horizon state prediction for `navigate` observations: where the base will be after a few
 * known commands, and what its observation would read from there. The core of delay compensation
 * (src/sim/delay-compensator.ts), a Smith predictor on the observation side: a policy trained on
 * undelayed observations gets the observation predicted for the moment its command will act.
 *
 * - `navLayout`: where lidar, goal and velocities sit in a navigate-like contract (refuses others).
 * - `advanceUnicycle` / `rollUnicycle`: planar unicycle roll-out of physical (v, ω) commands, one
 *   control step each, with the velocities following the command through a first-order lag `tau`.
 * - `NavReprojector`: rewrites an observation in a frame moved by (dx, dy, dyaw) (given in the old
 *   base frame), with new velocities. Preallocated scratch, no allocation per call.
 *
 * Conventions (from the navigate contract): lidar beam i points at 2π·i/n counter-clockwise from
 * ahead and reads the range from the base centre, saturated at the component's upper bound (= max
 * range, no return); goal_dir = (sin, cos) of the goal bearing in the base frame.
 */
import { bounds, totalSize, type Component, type Contract } from '../../contract.js';

export interface NavLayout {
  /** Lidar beams, evenly spaced over 2π. */
  rays: number;
  /** Lidar max range (the component's upper bound): a reading there is "no return". */
  maxRange: number;
  /** Offsets in the observation vector. */
  lidar: number;
  goalDist: number;
  goalDir: number;
  linVel: number;
  angVel: number;
  obsSize: number;
  /** Offsets of the lin_vel / ang_vel commands in the action vector. */
  linCmd: number;
  angCmd: number;
  actSize: number;
  /** Per-element bounds: physical action = low + (a + 1)/2 · (high − low) for normalised a. */
  actLow: Float32Array;
  actHigh: Float32Array;
  /** The reprojected observation is clamped to these, like the sensors saturate. */
  obsLow: Float32Array;
  obsHigh: Float32Array;
}

const OBS_NEEDED: readonly [string, number | null][] = [
  ['lidar', null],
  ['goal_dist', 1],
  ['goal_dir', 2],
  ['base_lin_vel', 1],
  ['base_ang_vel', 1],
];
const ACT_NEEDED: readonly [string, number][] = [
  ['lin_vel', 1],
  ['ang_vel', 1],
];

/** Offset of component `name` with the given size (any size when null); a one-line error otherwise. */
function find(components: readonly Component[], side: 'obs' | 'action', name: string, size: number | null): number {
  let k = 0;
  for (const c of components) {
    if (c.name === name) {
      if (size !== null && c.size !== size)
        throw new Error(`navigate prediction: ${side} component "${name}" has size ${c.size}, expected ${size}`);
      if (size === null && c.size < 3)
        throw new Error(
          `navigate prediction: ${side} component "${name}" has size ${c.size}, expected at least 3 beams`,
        );
      return k;
    }
    k += c.size;
  }
  const have = components.map((c) => c.name).join(', ');
  throw new Error(
    `navigate prediction: the contract has no ${side} component "${name}" (has ${have}); delay compensation needs a navigate-like contract`,
  );
}

/** Where the navigate quantities sit in `contract`; throws a one-line error naming the first missing component. */
export function navLayout(contract: Contract): NavLayout {
  const [lidar, goalDist, goalDir, linVel, angVel] = OBS_NEEDED.map(([name, size]) =>
    find(contract.obs, 'obs', name, size),
  );
  const [linCmd, angCmd] = ACT_NEEDED.map(([name, size]) => find(contract.action, 'action', name, size));
  const ob = bounds(contract.obs);
  const ab = bounds(contract.action);
  const rays = contract.obs.find((c) => c.name === 'lidar')!.size;
  const maxRange = ob.high[lidar];
  if (!(maxRange > 0) || !Number.isFinite(maxRange))
    throw new Error(
      `navigate prediction: obs component "lidar" needs a finite positive upper bound (the max range), got ${maxRange}`,
    );
  return {
    rays,
    maxRange,
    lidar,
    goalDist,
    goalDir,
    linVel,
    angVel,
    obsSize: totalSize(contract.obs),
    linCmd,
    angCmd,
    actSize: totalSize(contract.action),
    actLow: ab.low,
    actHigh: ab.high,
    obsLow: ob.low,
    obsHigh: ob.high,
  };
}

/** Pose change relative to the starting base frame, and the current velocities. Mutable: roll-outs update it in place. */
export interface UnicycleState {
  x: number;
  y: number;
  yaw: number;
  /** Forward speed, m/s. */
  v: number;
  /** Yaw rate, rad/s. */
  w: number;
}

/** Reset `s` to the origin with velocities (v0, w0). */
export function startUnicycle(s: UnicycleState, v0: number, w0: number): UnicycleState {
  s.x = 0;
  s.y = 0;
  s.yaw = 0;
  s.v = v0;
  s.w = w0;
  return s;
}

/**
 * Apply one command (physical vc, wc) for `dt` seconds in `substeps` substeps. The velocities follow
 * the command with a first-order lag `tau` (s; 0: they jump to it), exact per substep; the pose
 * integrates the substep's mean velocity along the mid-substep heading.
 */
export function advanceUnicycle(
  s: UnicycleState,
  vc: number,
  wc: number,
  dt: number,
  tau: number,
  substeps: number,
): void {
  const h = dt / substeps;
  const k = tau > 0 ? 1 - Math.exp(-h / tau) : 1;
  let { x, y, yaw, v, w } = s;
  for (let i = 0; i < substeps; i++) {
    const v1 = v + (vc - v) * k;
    const w1 = w + (wc - w) * k;
    const vm = 0.5 * (v + v1);
    const wm = 0.5 * (w + w1);
    const ym = yaw + 0.5 * wm * h;
    x += vm * Math.cos(ym) * h;
    y += vm * Math.sin(ym) * h;
    yaw += wm * h;
    v = v1;
    w = w1;
  }
  s.x = x;
  s.y = y;
  s.yaw = yaw;
  s.v = v;
  s.w = w;
}

/**
 * Roll out physical commands `cmds` = [v₀, ω₀, v₁, ω₁, …] (one pair per control step of `dt` s) from
 * the origin with initial velocities (v0, w0). Writes into `out` when given.
 */
export function rollUnicycle(
  v0: number,
  w0: number,
  cmds: ArrayLike<number>,
  dt: number,
  tau: number,
  substeps = 10,
  out: UnicycleState = { x: 0, y: 0, yaw: 0, v: 0, w: 0 },
): UnicycleState {
  startUnicycle(out, v0, w0);
  for (let i = 0; i + 1 < cmds.length; i += 2) advanceUnicycle(out, cmds[i], cmds[i + 1], dt, tau, substeps);
  return out;
}

const TWO_PI = 2 * Math.PI;
/** Two neighbouring returns further apart in range than JUMP · nearer + JUMP_ABS are on different objects. */
const JUMP = 0.3;
const JUMP_ABS = 0.1;
/** Readings at or beyond this fraction of the max range count as "no return". */
const HIT_FRACTION = 0.98;
/** Angle in [0, 2π). */
const wrap = (a: number) => ((a % TWO_PI) + TWO_PI) % TWO_PI;

/**
 * Rewrites navigate observations in a moved base frame. One instance per layout; holds the scratch
 * arrays, so `reproject` allocates nothing (it runs on every control step in the policy server).
 */
export class NavReprojector {
  private readonly beamCos: Float64Array;
  private readonly beamSin: Float64Array;
  /** Per old beam: its return point in the new frame (x, y, angle in (−π, π], range) and whether it hit. */
  private readonly px: Float64Array;
  private readonly py: Float64Array;
  private readonly ang: Float64Array;
  private readonly rng: Float64Array;
  private readonly hit: Uint8Array;

  constructor(readonly layout: NavLayout) {
    const n = layout.rays;
    this.beamCos = new Float64Array(n);
    this.beamSin = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.beamCos[i] = Math.cos((TWO_PI * i) / n);
      this.beamSin[i] = Math.sin((TWO_PI * i) / n);
    }
    this.px = new Float64Array(n);
    this.py = new Float64Array(n);
    this.ang = new Float64Array(n);
    this.rng = new Float64Array(n);
    this.hit = new Uint8Array(n);
  }

  /**
   * Write into `out` the observation `obs` as it would read from a base frame moved by (dx, dy, dyaw)
   * (expressed in the old frame), with velocities (v, w):
   *   - goal_dist, goal_dir: exactly, from the transformed goal vector;
   *   - lidar: every beam's return becomes a point, the points are moved into the new frame and the
   *     ranges are re-read per beam angle by interpolating between angularly neighbouring points
   *     (the chord between two returns on one surface, the nearer-in-angle one where a return meets
   *     a no-return or the range jumps to another object, max range where neither returned; the
   *     smallest candidate where several segments cover a beam, since the nearest surface occludes);
   *   - base_lin_vel, base_ang_vel: (v, w);
   * then everything is clamped to the contract's bounds. `out` may be `obs`.
   * What the old scan could not see (behind an obstacle, beyond max range) stays unknown: the
   * re-read is an interpolation of what was seen, not a new scan.
   */
  reproject(obs: Float32Array, dx: number, dy: number, dyaw: number, v: number, w: number, out: Float32Array): void {
    const L = this.layout;
    if (obs.length !== L.obsSize || out.length !== L.obsSize) {
      throw new Error(
        `navigate prediction: expected observations of ${L.obsSize} values, got ${obs.length} in, ${out.length} out`,
      );
    }
    const c = Math.cos(dyaw);
    const s = Math.sin(dyaw);
    // Everything is read from obs before out is written, so out may alias obs.
    // Goal: old-frame vector g, new-frame R(−dyaw)(g − d). The (sin, cos) pair is renormalised, so
    // noise on it does not change the distance.
    const dist = obs[L.goalDist];
    const sn = obs[L.goalDir];
    const cs = obs[L.goalDir + 1];
    const norm = Math.sqrt(sn * sn + cs * cs);
    const gx0 = norm > 1e-9 ? (dist * cs) / norm : dist;
    const gy0 = norm > 1e-9 ? (dist * sn) / norm : 0;
    const ex = gx0 - dx;
    const ey = gy0 - dy;
    const gx = c * ex + s * ey;
    const gy = -s * ex + c * ey;
    // Lidar: the return points in the new frame.
    const n = L.rays;
    const maxR = L.maxRange;
    const hitTol = HIT_FRACTION * maxR;
    const { px, py, ang, rng, hit, beamCos, beamSin } = this;
    for (let i = 0; i < n; i++) {
      const r = obs[L.lidar + i];
      const ox = r * beamCos[i] - dx;
      const oy = r * beamSin[i] - dy;
      const qx = c * ox + s * oy;
      const qy = -s * ox + c * oy;
      px[i] = qx;
      py[i] = qy;
      ang[i] = Math.atan2(qy, qx);
      rng[i] = Math.sqrt(qx * qx + qy * qy);
      hit[i] = r < hitTol ? 1 : 0;
    }

    if (out !== obs) out.set(obs);
    const d = Math.sqrt(gx * gx + gy * gy);
    out[L.goalDist] = d;
    out[L.goalDir] = d > 1e-9 ? gy / d : 0;
    out[L.goalDir + 1] = d > 1e-9 ? gx / d : 1;
    out[L.linVel] = v;
    out[L.angVel] = w;
    for (let j = 0; j < n; j++) {
      const phi = (TWO_PI * j) / n;
      const ux = beamCos[j];
      const uy = beamSin[j];
      let best = Infinity;
      for (let i = 0; i < n; i++) {
        const k = i + 1 === n ? 0 : i + 1;
        // The segment from point i to point k, counter-clockwise; φ inside it?
        const span = wrap(ang[k] - ang[i]);
        if (span > Math.PI) continue; // order flipped (a point swung behind): skip this segment
        const off = wrap(phi - ang[i]);
        if (off > span + 1e-12) continue;
        let r: number;
        if (hit[i] && hit[k] && Math.abs(rng[k] - rng[i]) <= JUMP * Math.min(rng[i], rng[k]) + JUMP_ABS) {
          // Both on one surface: where the beam crosses the chord between the two points (exact on a
          // flat wall), falling back to angular interpolation when the chord is nearly along the beam.
          const ax = px[i];
          const ay = py[i];
          const bx = px[k];
          const by = py[k];
          // Solve t·u = a + λ(b − a): cross products.
          const cx = bx - ax;
          const cy = by - ay;
          const den = ux * cy - uy * cx;
          const t = den !== 0 ? (ax * cy - ay * cx) / den : NaN;
          const f = span > 1e-12 ? off / span : 0;
          const lin = rng[i] + f * (rng[k] - rng[i]);
          r = Number.isFinite(t) && t > 0 && Math.abs(t - lin) < 0.5 * lin ? t : lin;
        } else if (hit[i] && hit[k]) {
          // A depth jump (two objects): the nearer-in-angle return, not a phantom surface between them.
          r = off <= span - off ? rng[i] : rng[k];
        } else if (!hit[i] && !hit[k]) {
          r = maxR;
        } else {
          // A return next to a no-return: the edge of an object; the nearer-in-angle side wins.
          const nearI = off <= span - off;
          r = nearI ? (hit[i] ? rng[i] : maxR) : hit[k] ? rng[k] : maxR;
        }
        if (r < best) best = r;
      }
      if (best === Infinity) {
        // No segment covers φ (points folded over): the nearest point in angle.
        let bd = Infinity;
        for (let i = 0; i < n; i++) {
          const dd = Math.min(wrap(phi - ang[i]), wrap(ang[i] - phi));
          if (dd < bd) {
            bd = dd;
            best = hit[i] ? rng[i] : maxR;
          }
        }
      }
      out[L.lidar + j] = best > maxR ? maxR : best;
    }
    const lo = L.obsLow;
    const hi = L.obsHigh;
    for (let i = 0; i < out.length; i++) {
      if (out[i] < lo[i]) out[i] = lo[i];
      else if (out[i] > hi[i]) out[i] = hi[i];
    }
  }
}
