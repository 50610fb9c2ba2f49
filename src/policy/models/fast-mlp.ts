/**
 * The MLP forward pass on typed arrays, for single-observation control loops: a tfjs `predict`
 * costs tens of µs of per-call overhead (tensor allocation, backend dispatch) whatever the network
 * size. Outputs equal tfjs's to float32 precision (test/policy/fast-mlp.test.ts); speed against
 * `predict` is in `npm run bench -- policy`.
 *
 * Arithmetic, pinned bit for bit by the tests against a plain reference loop: weights, biases and
 * hidden activations are float32 values; output unit j sums x[0]·w[0][j] + x[1]·w[1][j] + … in
 * input order in a float64 accumulator that starts at 0, then adds its bias (b[j] + sum) and is
 * rounded to float32; hidden layers apply the activation to that and round to float32 again. The
 * first layer's input is used as given (not rounded).
 *
 * Layout: a layer's kernel is packed block by block of output units, each block [inSize × width]
 * (the `width` weights of one input contiguous), stored as float64 so that no load converts; an odd
 * output count gets one zero-weight padding unit. Each block is one pass over the input with one
 * accumulator per unit. Two kernels give identical results (the same float64 adds and multiplies
 * in the same order per unit; both are exactly rounded, and neither JavaScript nor wasm fuses them):
 * - `wasm` (the default where available): a small WebAssembly SIMD module assembled below. Blocks
 *   of 16 units, eight f64x2 accumulators (two units per add and multiply); bias, float32 rounding
 *   (f32x4.demote_f64x2_zero, then back) and relu (a compare mask: no data-dependent branch) in the
 *   same call. tanh stays in JavaScript (Math.tanh), whose exact results wasm cannot reproduce.
 * - `js`: plain JavaScript, blocks of 8 units with eight scalar accumulators. Used where
 *   WebAssembly or its SIMD is missing (e.g. `node --jitless`).
 *
 * Nothing is allocated per call: inputs, sums and activations live in buffers made once.
 */
import type { Activation, DenseWeights } from './mlp.js';

export type FastMlpKernel = 'wasm' | 'js';

/**
 * Block widths, widest first: as many of the widest as fit, then at most one of each narrower
 * (units are padded to an even count, so 2 finishes any layer).
 */
const WASM_BLOCKS = [16, 8, 4, 2];
const JS_BLOCKS = [8, 4, 2];

// ---------------------------------------------------------------------------------------------
// The WebAssembly kernel, assembled here (about 950 bytes) so the package ships no binary.
//
// (import "env" "mem" (memory 0)); pointers are byte offsets, 16-byte aligned.
// func k < 4, block<L> for L = WASM_BLOCKS[k] (x, w, y, n) -> w': for the L units of one block,
//   acc = Σ_i x[i]·w[i·L + k] over i = 0 … n−1 in order (f64x2 lanes), stored at y[0 … L);
//   returns w past the block.
// func 4, exported "layer" (x, w, b, y, n, m, relu): the blocks of a layer of m (even) units into
//   y, then y[j] = f32(b[j] + y[j]), and y[j] = 0 where y[j] < 0 if relu is −1 (0: no relu).

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  simd: 0xfd,
  void: 0x40,
  i32: 0x7f,
  v128: 0x7b,
  func: 0x60,
} as const;
/** SIMD opcodes (after the 0xfd prefix). */
const SIMD = {
  v128Load: 0x00,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  i32x4Splat: 0x11,
  f64x2Lt: 0x49,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const get = (i: number) => [OP.localGet, ...uleb(i)];
const set = (i: number) => [OP.localSet, ...uleb(i)];
const i32 = (n: number) => [OP.i32Const, ...sleb(n)];
const simd = (op: number) => [OP.simd, ...uleb(op)];
/** A SIMD memory access: opcode, log2 alignment, byte offset. */
const simdMem = (op: number, align: number, offset: number) => [...simd(op), align, ...uleb(offset)];
/** `p += step` for an i32 local p. */
const advance = (p: number, step: number) => [...get(p), ...i32(step), OP.i32Add, ...set(p)];
const locals = (...groups: [count: number, type: number][]) =>
  vec(groups.map(([count, type]) => [...uleb(count), type]));

/** block<lanes>(x=0, w=1, y=2, n=3) -> w past the block. */
function blockBody(lanes: number): number[] {
  const vectors = lanes / 2;
  const [x, w, y, n, xEnd, xv, acc] = [0, 1, 2, 3, 4, 5, 6]; // acc … acc + vectors − 1; v128 locals start at 0
  return [
    ...locals([1, OP.i32], [1 + vectors, OP.v128]),
    ...get(x),
    ...get(n),
    ...i32(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(xEnd), // xEnd = x + 8n
    OP.block,
    OP.void,
    ...get(x),
    ...get(xEnd),
    OP.i32GeU,
    OP.brIf,
    0, // n = 0: no pass
    OP.loop,
    OP.void,
    ...get(x),
    ...simdMem(SIMD.v128Load64Splat, 3, 0),
    ...set(xv), // xv = (x[i], x[i])
    ...Array.from({ length: vectors }, (_, k) => [
      // acc_k = acc_k + xv · (the two weights of units 2k, 2k + 1)
      ...get(acc + k),
      ...get(xv),
      ...get(w),
      ...simdMem(SIMD.v128Load, 4, 16 * k),
      ...simd(SIMD.f64x2Mul),
      ...simd(SIMD.f64x2Add),
      ...set(acc + k),
    ]).flat(),
    ...advance(w, 8 * lanes),
    ...get(x),
    ...i32(8),
    OP.i32Add,
    OP.localTee,
    x,
    ...get(xEnd),
    OP.i32LtU,
    OP.brIf,
    0, // next input
    OP.end,
    OP.end,
    ...Array.from({ length: vectors }, (_, k) => [
      ...get(y),
      ...get(acc + k),
      ...simdMem(SIMD.v128Store, 4, 16 * k),
    ]).flat(),
    ...get(w),
    OP.end,
  ];
}

/** layer(x=0, w=1, b=2, y=3, n=4, m=5, relu=6); function k < 4 of the module is block<WASM_BLOCKS[k]>. */
function layerBody(): number[] {
  const [x, w, b, y, n, m, relu, yEnd, yb, v, reluMask, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const step = (k: number) => [
    ...get(x),
    ...get(w),
    ...get(yb),
    ...get(n),
    OP.call,
    k,
    ...set(w), // w = block(x, w, yb, n)
    ...advance(yb, 8 * WASM_BLOCKS[k]),
    ...get(m),
    ...i32(WASM_BLOCKS[k]),
    OP.i32Sub,
    ...set(m),
  ];
  return [
    ...locals([2, OP.i32], [3, OP.v128]),
    ...get(y),
    ...get(m),
    ...i32(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(yEnd), // yEnd = y + 8m
    ...get(y),
    ...set(yb),
    // while (m >= 16) step(0); then if (m >= 8) step(1), (m >= 4) step(2), (m >= 2) step(3)
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(m),
    ...i32(WASM_BLOCKS[0]),
    OP.i32LtU,
    OP.brIf,
    1,
    ...step(0),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...[1, 2, 3].flatMap((k) => [
      OP.block,
      OP.void,
      ...get(m),
      ...i32(WASM_BLOCKS[k]),
      OP.i32LtU,
      OP.brIf,
      0,
      ...step(k),
      OP.end,
    ]),
    // epilogue over unit pairs: v = f32(b + y); v = v & ~(v < 0 & reluMask)
    ...get(relu),
    ...simd(SIMD.i32x4Splat),
    ...set(reluMask),
    OP.block,
    OP.void,
    ...get(y),
    ...get(yEnd),
    OP.i32GeU,
    OP.brIf,
    0,
    OP.loop,
    OP.void,
    ...get(b),
    ...simdMem(SIMD.v128Load, 4, 0),
    ...get(y),
    ...simdMem(SIMD.v128Load, 4, 0),
    ...simd(SIMD.f64x2Add),
    ...simd(SIMD.f32x4DemoteF64x2Zero),
    ...simd(SIMD.f64x2PromoteLowF32x4),
    ...set(v),
    ...get(y),
    ...get(v),
    ...get(v),
    ...get(zero),
    ...simd(SIMD.f64x2Lt),
    ...get(reluMask),
    ...simd(SIMD.v128And),
    ...simd(SIMD.v128AndNot),
    ...simdMem(SIMD.v128Store, 4, 0),
    ...advance(b, 16),
    ...get(y),
    ...i32(16),
    OP.i32Add,
    OP.localTee,
    y,
    ...get(yEnd),
    OP.i32LtU,
    OP.brIf,
    0,
    OP.end,
    OP.end,
    OP.end,
  ];
}

function moduleBytes(): Uint8Array {
  const params = (count: number) => vec(Array.from({ length: count }, () => [OP.i32]));
  const bodies = [...WASM_BLOCKS.map(blockBody), layerBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(
      1,
      vec([
        [OP.func, ...params(4), ...params(1)],
        [OP.func, ...params(7), ...vec([])],
      ]),
    ), // types
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, 0x00]])), // import a memory, min 0 pages
    ...section(3, vec([...WASM_BLOCKS.map(() => [0]), [1]])), // function types
    ...section(7, vec([[...name('layer'), 0x00, WASM_BLOCKS.length]])), // exports
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))), // code, each body after its size
  ]);
}

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
type LayerFn = (x: number, w: number, b: number, y: number, n: number, m: number, relu: number) => void;

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let wasmModule: object | null | undefined;

/** The compiled kernel module (once per thread), or null where WebAssembly SIMD is not available. */
function kernelModule(): object | null {
  if (wasmModule === undefined) {
    wasmModule = null;
    try {
      const bytes = moduleBytes();
      if (wasmApi?.validate(bytes)) wasmModule = new wasmApi.Module(bytes);
    } catch {
      // no usable WebAssembly: the JavaScript kernel
    }
  }
  return wasmModule;
}

// ---------------------------------------------------------------------------------------------
// The JavaScript kernel.

/** y[0 … m) = the sums of the packed layer w (blocks of JS_BLOCKS). */
function sumsJs(x: Float64Array, w: Float64Array, y: Float64Array, n: number, m: number): void {
  let p = 0;
  let j = 0;
  for (; m - j >= 8; j += 8) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let i = 0; i < n; i++, p += 8) {
      const xi = x[i];
      a0 += xi * w[p];
      a1 += xi * w[p + 1];
      a2 += xi * w[p + 2];
      a3 += xi * w[p + 3];
      a4 += xi * w[p + 4];
      a5 += xi * w[p + 5];
      a6 += xi * w[p + 6];
      a7 += xi * w[p + 7];
    }
    y[j] = a0;
    y[j + 1] = a1;
    y[j + 2] = a2;
    y[j + 3] = a3;
    y[j + 4] = a4;
    y[j + 5] = a5;
    y[j + 6] = a6;
    y[j + 7] = a7;
  }
  if (m - j >= 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < n; i++, p += 4) {
      const xi = x[i];
      a0 += xi * w[p];
      a1 += xi * w[p + 1];
      a2 += xi * w[p + 2];
      a3 += xi * w[p + 3];
    }
    y[j] = a0;
    y[j + 1] = a1;
    y[j + 2] = a2;
    y[j + 3] = a3;
    j += 4;
  }
  if (m - j >= 2) {
    let a0 = 0;
    let a1 = 0;
    for (let i = 0; i < n; i++, p += 2) {
      const xi = x[i];
      a0 += xi * w[p];
      a1 += xi * w[p + 1];
    }
    y[j] = a0;
    y[j + 1] = a1;
  }
}

/** The JavaScript twin of the wasm `layer`. */
function layerJs(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  y: Float64Array,
  n: number,
  m: number,
  relu: boolean,
): void {
  sumsJs(x, w, y, n, m);
  if (relu) {
    for (let j = 0; j < m; j++) {
      const v = Math.fround(b[j] + y[j]);
      y[j] = v < 0 ? 0 : v;
    }
  } else for (let j = 0; j < m; j++) y[j] = Math.fround(b[j] + y[j]);
}

// ---------------------------------------------------------------------------------------------

/** Packs `w` ([inSize × outSize], row-major as tfjs stores kernels) into `into` in blocks of `widths`. */
function pack({ w, inSize, outSize }: DenseWeights, padded: number, widths: number[], into: Float64Array): void {
  let p = 0;
  let j = 0;
  const block = (width: number) => {
    for (let i = 0; i < inSize; i++) {
      for (let k = 0; k < width; k++) into[p++] = j + k < outSize ? Math.fround(w[i * outSize + j + k]) : 0;
    }
    j += width;
  };
  while (padded - j >= widths[0]) block(widths[0]);
  for (const width of widths.slice(1)) if (padded - j >= width) block(width);
}

const even = (n: number) => n + (n & 1);

class Layer {
  constructor(
    readonly inSize: number,
    readonly outSize: number,
    /** outSize rounded up to even: the kernel's unit count. */
    readonly padded: number,
    /** This layer's input, even(inSize) long (a hidden layer's is the previous layer's output). */
    readonly x: Float64Array,
    /** Packed kernel and bias (bias padded with a 0). */
    readonly w: Float64Array,
    readonly b: Float64Array,
    /** Where x, w and b start in the wasm memory (unused by the js kernel). */
    readonly xAt: number,
    readonly wAt: number,
    readonly bAt: number,
  ) {}
}

export class FastMlp {
  /** Which kernel this network runs on. */
  readonly kernel: FastMlpKernel;
  private readonly layers: Layer[];
  /** The last layer's output (float32 values), and where it starts in the wasm memory. */
  private readonly y: Float64Array;
  private readonly yAt: number;
  private readonly wasmLayer: LayerFn | null;
  private readonly out: Float32Array;
  private readonly tanh: boolean;

  /** `kernel` defaults to wasm where available, else js; asking for wasm where it is missing throws. */
  constructor(layers: DenseWeights[], activation: Activation, opts: { kernel?: FastMlpKernel } = {}) {
    if (layers.length === 0) throw new Error('FastMlp: no layers');
    const module = opts.kernel === 'js' ? null : kernelModule();
    if (opts.kernel === 'wasm' && !module) throw new Error('FastMlp: WebAssembly SIMD is not available here');
    this.kernel = module ? 'wasm' : 'js';
    this.tanh = activation === 'tanh';

    // One buffer (the wasm memory, or an ArrayBuffer): per layer its input, packed kernel and
    // bias, then the output. Each part holds an even number of float64s, so each is 16-byte aligned.
    let bytes = 0;
    const place = (count: number) => {
      const at = bytes;
      bytes += 8 * even(count);
      return at;
    };
    const at = layers.map((l) => ({ x: place(l.inSize), w: place(l.inSize * even(l.outSize)), b: place(l.outSize) }));
    this.yAt = place(layers[layers.length - 1].outSize);

    let buffer: ArrayBuffer;
    if (module) {
      const memory = new wasmApi!.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
      this.wasmLayer = new wasmApi!.Instance(module, { env: { mem: memory } }).exports.layer as LayerFn;
      buffer = memory.buffer; // never grown, so the views below stay attached
    } else {
      this.wasmLayer = null;
      buffer = new ArrayBuffer(bytes);
    }
    const widths = module ? WASM_BLOCKS : JS_BLOCKS;
    this.layers = layers.map((l, k) => {
      const padded = even(l.outSize);
      const w = new Float64Array(buffer, at[k].w, l.inSize * padded);
      pack(l, padded, widths, w);
      const b = new Float64Array(buffer, at[k].b, padded);
      for (let j = 0; j < l.outSize; j++) b[j] = Math.fround(l.b[j]);
      return new Layer(
        l.inSize,
        l.outSize,
        padded,
        new Float64Array(buffer, at[k].x, even(l.inSize)),
        w,
        b,
        at[k].x,
        at[k].w,
        at[k].b,
      );
    });
    this.y = new Float64Array(buffer, this.yAt, even(layers[layers.length - 1].outSize));
    this.out = new Float32Array(layers[layers.length - 1].outSize);
  }

  get inputSize(): number {
    return this.layers[0].inSize;
  }

  get outputSize(): number {
    return this.out.length;
  }

  /** Forward one input; the returned array is reused by the next call unless `out` is given. */
  forward(x: ArrayLike<number>, out?: Float32Array): Float32Array {
    const layers = this.layers;
    const last = layers.length - 1;
    const first = layers[0];
    for (let i = 0; i < first.inSize; i++) first.x[i] = x[i];
    const relu = !this.tanh;
    const wasm = this.wasmLayer;
    for (let l = 0; l <= last; l++) {
      const layer = layers[l];
      const hidden = l < last;
      const y = hidden ? layers[l + 1].x : this.y;
      if (wasm)
        wasm(
          layer.xAt,
          layer.wAt,
          layer.bAt,
          hidden ? layers[l + 1].xAt : this.yAt,
          layer.inSize,
          layer.padded,
          hidden && relu ? -1 : 0,
        );
      else layerJs(layer.x, layer.w, layer.b, y, layer.inSize, layer.padded, hidden && relu);
      if (hidden && !relu) for (let j = 0; j < layer.outSize; j++) y[j] = Math.fround(Math.tanh(y[j]));
    }
    const result = out ?? this.out;
    for (let j = 0; j < this.out.length; j++) result[j] = this.y[j];
    return result;
  }
}
