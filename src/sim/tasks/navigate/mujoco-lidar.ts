/**
 * The planar lidar in MuJoCo: all beams in one mj_multiRay call (MuJoCo's mj_ray per beam, batched;
 * one mj_ray call per beam costs ~10× more in the wasm build, most of it in argument conversion),
 * horizontal from the base centre, excluding the chassis body. mj_multiRay ignores its geom-group
 * mask in mujoco-js 0.0.7 (measured), so the wheels, which are bodies of their own, are kept
 * under the scan plane instead (mujoco-mjcf.ts). No return within max range reads max range.
 * Needs the model's kinematics current (static geoms never move: once after the model is loaded).
 */
import type { MjData, MjModel, Mujoco } from '../../mujoco/mujoco.js';
import type { RangeScanner } from './instance.js';
import { beamDirections } from './geometry.js';

/** MuJoCo's six geom groups, all seen (the binding wants a typed array here). */
const GROUPS = new Uint8Array(6).fill(1);

type WasmBuffer = { GetView(): Float64Array | Int32Array; delete(): void };

export class MujocoLidar implements RangeScanner {
  private readonly origin = new Float64Array(3);
  private readonly dirs: Float64Array;
  private readonly cosBeam: Float64Array;
  private readonly sinBeam: Float64Array;
  /** Outputs live in wasm memory (the binding copies typed-array arguments in, never back out). */
  private readonly dist: WasmBuffer;
  private readonly geom: WasmBuffer;

  constructor(
    private readonly mj: Mujoco,
    private readonly model: MjModel,
    private readonly data: MjData,
    /** The base's body, excluded from the casts. */
    private readonly self: number,
    readonly rays: number,
    readonly maxRange: number,
  ) {
    this.dirs = new Float64Array(3 * rays);
    ({ cos: this.cosBeam, sin: this.sinBeam } = beamDirections(rays));
    this.dist = new mj.DoubleBuffer(rays) as unknown as WasmBuffer;
    this.geom = new mj.IntBuffer(rays) as unknown as WasmBuffer;
  }

  scan(x: number, y: number, z: number, c: number, s: number, out: Float32Array, offset: number): void {
    this.origin[0] = x;
    this.origin[1] = y;
    this.origin[2] = z;
    const d = this.dirs;
    for (let i = 0; i < this.rays; i++) {
      d[3 * i] = c * this.cosBeam[i] - s * this.sinBeam[i];
      d[3 * i + 1] = s * this.cosBeam[i] + c * this.sinBeam[i];
    }
    const max = this.maxRange;
    this.mj.mj_multiRay(
      this.model,
      this.data,
      this.origin as unknown as number[],
      d as unknown as number[],
      GROUPS,
      1,
      this.self,
      this.geom,
      this.dist,
      this.rays,
      max,
    );
    const hit = this.dist.GetView();
    for (let i = 0; i < this.rays; i++) {
      const t = hit[i];
      out[offset + i] = t < 0 || t > max ? max : t;
    }
  }

  dispose(): void {
    this.dist.delete();
    this.geom.delete();
  }
}
